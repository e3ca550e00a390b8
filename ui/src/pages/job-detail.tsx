/**
 * One job: its spec (with who paused it and why, its failed runs in a row
 * and the runs it has left), the next fire times (with DST and calendar
 * notes, and each one's window end with a flexible window), the fire ledger of the last 24 hours, a timeline
 * of its runs, the run history, and pause or resume (with a note), trigger,
 * edit and delete.
 */
import { durationMs } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { FileOperation, type Job, JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { errorText, jobs } from "../api.js";
import { RunTimeline } from "../charts/timeline.js";
import { duration, jobStatus, priorityName, scheduleText, time } from "../format.js";
import { usePoll } from "../poll.js";
import { FireLedger } from "./fire-ledger.js";
import { JobForm } from "./job-form.js";
import { RunTable } from "./run-table.js";

function targetText(job: Job): string {
  const t = job.target?.kind;
  switch (t?.case) {
    case "http":
      return `HTTP ${t.value.method || "POST"} ${t.value.url}`;
    case "webhook":
      return `webhook ${t.value.url}`;
    case "script":
      return `script ${t.value.command} ${t.value.args.join(" ")}`;
    case "workflow":
      return `workflow ${t.value.workflowId}`;
    case "noop":
      return "noop";
    case "file": {
      const to = t.value.destination ? ` → ${t.value.destination}` : "";
      const op = (FileOperation[t.value.operation] ?? "").toLowerCase();
      return `file ${op} ${t.value.root}: ${t.value.sources.join(", ")}${to}`;
    }
    case "database": {
      const s = t.value.statement;
      const what = s.case === "procedure" ? `CALL ${s.value}` : (s.value ?? "");
      return `database ${t.value.connection}: ${what.replace(/\s+/g, " ").slice(0, 120)}`;
    }
    default:
      return "—";
  }
}

export function JobDetailPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? "";
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState("");
  const [message, setMessage] = useState<{ error: boolean; text: string } | undefined>();
  const job = usePoll(() => jobs.getJob({ id }).then((r) => r.job), [id]);
  // The job's own schedule, previewed with its id (its calendar and last run count).
  const preview = usePoll(
    async () => {
      const { job } = await jobs.getJob({ id });
      return jobs.previewSchedule({ schedule: job?.schedule, jobId: id, count: 10 });
    },
    [id],
    30_000,
  );
  const runs = usePoll(() => jobs.listExecutions({ jobId: id, pageSize: 50 }), [id]);

  const act = async (label: string, call: () => Promise<unknown>) => {
    try {
      await call();
      setMessage({ error: false, text: `${label}: done` });
      setNote("");
      job.reload();
      runs.reload();
    } catch (err) {
      setMessage({ error: true, text: `${label}: ${errorText(err)}` });
    }
  };

  const j = job.data;
  return (
    <section>
      <p class="crumbs">
        <a href="/ui/jobs">Jobs</a> /
      </p>
      <h1>{j?.name || id}</h1>
      {job.error && (
        <p role="alert" class="error">
          {job.error}
        </p>
      )}
      {message && (
        <p role={message.error ? "alert" : "status"} class={message.error ? "error" : "ok"}>
          {message.text}
        </p>
      )}
      {j && (
        <div class="actions">
          <input
            type="text"
            aria-label="Pause or resume note"
            placeholder="note (why), optional"
            maxLength={500}
            value={note}
            onInput={(e) => setNote((e.target as HTMLInputElement).value)}
          />
          {j.status === JobStatus.PAUSED ? (
            <button type="button" onClick={() => act("Resume", () => jobs.resumeJob({ id, note }))}>
              Resume
            </button>
          ) : (
            <button type="button" onClick={() => act("Pause", () => jobs.pauseJob({ id, note }))}>
              Pause
            </button>
          )}
          <button type="button" onClick={() => act("Trigger", () => jobs.triggerJob({ id }))}>
            Trigger now
          </button>
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            Edit
          </button>
          <button
            type="button"
            class="danger"
            onClick={() => {
              if (!window.confirm(`Delete job ${j.name || id}?`)) return;
              jobs.deleteJob({ id }).then(
                () => route("/ui/jobs"),
                (err: unknown) => setMessage({ error: true, text: `Delete: ${errorText(err)}` }),
              );
            }}
          >
            Delete
          </button>
        </div>
      )}
      {j && editing && (
        <JobForm
          job={j}
          onCancel={() => setEditing(false)}
          onDone={() => {
            setEditing(false);
            setMessage({ error: false, text: "Saved" });
            job.reload();
            preview.reload();
          }}
        />
      )}
      {j && (
        <dl class="spec card">
          <dt>Id</dt>
          <dd>
            <code>{j.id}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            <span class={`status s-${jobStatus(j.status)}`}>{jobStatus(j.status)}</span>
            {j.pause && (
              <span class="note">
                paused {time(j.pause.pauseTime)}
                {j.pause.pausedBy && ` by ${j.pause.pausedBy}`}
                {j.pause.note && `: ${j.pause.note}`}
              </span>
            )}
          </dd>
          <dt>Schedule</dt>
          <dd>
            <code>{scheduleText(j.schedule)}</code>
            {j.schedule?.calendar?.name && ` · calendar ${j.schedule.calendar.name}`}
          </dd>
          {j.schedule?.flexibleWindow && (
            <>
              <dt>Flexible window</dt>
              <dd>
                {duration(durationMs(j.schedule.flexibleWindow))}
                <span class="note">each run starts within this after its time, spread evenly</span>
              </dd>
            </>
          )}
          <dt>Target</dt>
          <dd>
            <code>{targetText(j)}</code>
          </dd>
          <dt>Owner</dt>
          <dd>{j.owner || "—"}</dd>
          <dt>Tags</dt>
          <dd>{j.tags.join(", ") || "—"}</dd>
          <dt>Priority</dt>
          <dd>{j.priority ? priorityName(j.priority) : "default"}</dd>
          <dt>Next run</dt>
          <dd>{time(j.nextRunTime)}</dd>
          <dt>Last run</dt>
          <dd>{time(j.lastRunTime)}</dd>
          <dt>Missed runs</dt>
          <dd>{String(j.missedRuns)}</dd>
          <dt>Failed runs in a row</dt>
          <dd>
            {j.consecutiveFailures}
            <span class="note">
              {j.pauseAfterFailures
                ? `pauses after ${j.pauseAfterFailures}`
                : "pause after failures: off"}
            </span>
          </dd>
          <dt>Remaining runs</dt>
          <dd>
            {j.remainingRuns === undefined
              ? "no limit"
              : `${j.remainingRuns} of ${j.grantedRuns || j.remainingRuns}`}
          </dd>
          <dt>Version</dt>
          <dd>{String(j.version)}</dd>
        </dl>
      )}
      <h2>Next fire times</h2>
      {preview.error && <p class="error">{preview.error}</p>}
      <ol class="fires">
        {preview.data?.fireTimes.map((f) => (
          <li key={String(f.time?.seconds)}>
            <time>{time(f.time)}</time> <span class="local">{f.localTime}</span>
            {f.windowEnd && (
              <span class="window">
                {" "}
                – <time>{time(f.windowEnd)}</time>
              </span>
            )}
            {f.notes.map((n) => (
              <span key={n} class="note">
                {n}
              </span>
            ))}
          </li>
        ))}
      </ol>
      {preview.data && preview.data.removed.length > 0 && (
        <>
          <h3>Left out by the calendar</h3>
          <ul class="fires">
            {preview.data.removed.map((r) => (
              <li key={String(r.time?.seconds)}>
                <time>{time(r.time)}</time> <span class="local">{r.localTime}</span>{" "}
                <span class="note">{r.reason}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <FireLedger id={id} />
      <h2>Runs</h2>
      {runs.error && <p class="error">{runs.error}</p>}
      <RunTimeline runs={runs.data?.executions ?? []} />
      <RunTable runs={runs.data?.executions ?? []} />
    </section>
  );
}
