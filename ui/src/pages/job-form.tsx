/**
 * Creating and editing a job: name, schedule (with its flexible window),
 * target, tags, priority, the failed runs in a row that pause it (and owner on creation). Editing sends UpdateJob with a mask of the fields
 * shown and the version read, so a change made meanwhile is refused, not lost.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import {
  HttpTargetSchema,
  type Job,
  JobSchema,
  type JobTarget,
  JobTargetSchema,
  NoopTargetSchema,
} from "../../../gen/chronoring/v1/job_pb.js";
import { Priority } from "../../../gen/chronoring/v1/priority_pb.js";
import { type ScheduleSpec, ScheduleSpecSchema } from "../../../gen/chronoring/v1/schedule_pb.js";
import { errorText, jobs } from "../api.js";
import { enumValues, priorityName } from "../format.js";

type ScheduleKind = "interval" | "cron";
type TargetKind = "noop" | "http";

interface Draft {
  name: string;
  owner: string;
  scheduleKind: ScheduleKind;
  schedule: string;
  timeZone: string;
  /** Seconds; empty: none. */
  flexibleWindow: string;
  targetKind: TargetKind;
  method: string;
  url: string;
  tags: string;
  priority: Priority;
  /** pause_after_failures as typed; empty or 0: off. */
  pauseAfter: string;
}

function draftOf(job: Job | undefined): Draft {
  const kind = job?.schedule?.kind;
  const target = job?.target?.kind;
  return {
    name: job?.name ?? "",
    owner: job?.owner ?? "",
    scheduleKind: kind?.case === "cron" ? "cron" : "interval",
    schedule: kind?.case === "cron" || kind?.case === "interval" ? kind.value : "",
    timeZone: job?.schedule?.timeZone ?? "",
    flexibleWindow: job?.schedule?.flexibleWindow
      ? String(durationMs(job.schedule.flexibleWindow) / 1000)
      : "",
    targetKind: target?.case === "http" ? "http" : "noop",
    method: target?.case === "http" ? target.value.method || "POST" : "POST",
    url: target?.case === "http" ? target.value.url : "",
    tags: job?.tags.join(", ") ?? "",
    priority: job?.priority ?? Priority.UNSPECIFIED,
    pauseAfter: job?.pauseAfterFailures ? String(job.pauseAfterFailures) : "",
  };
}

function scheduleOf(d: Draft, old: ScheduleSpec | undefined): ScheduleSpec {
  // Keeps what the form does not show (calendar, misfire, jitter).
  const spec = create(ScheduleSpecSchema, old ?? {});
  spec.kind = { case: d.scheduleKind, value: d.schedule.trim() };
  spec.timeZone = d.timeZone.trim();
  const window = Number(d.flexibleWindow.trim() || 0);
  // The server checks the range (1 s to 15 min) and names the field.
  spec.flexibleWindow = window > 0 ? durationFromMs(Math.round(window * 1000)) : undefined;
  return spec;
}

function targetOf(d: Draft, old: JobTarget | undefined): JobTarget {
  if (d.targetKind === "noop") {
    if (old?.kind.case === "noop") return old;
    return create(JobTargetSchema, { kind: { case: "noop", value: create(NoopTargetSchema) } });
  }
  const http = create(HttpTargetSchema, old?.kind.case === "http" ? old.kind.value : {});
  http.method = d.method;
  http.url = d.url.trim();
  return create(JobTargetSchema, { kind: { case: "http", value: http } });
}

const tagsOf = (s: string) =>
  s
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);

export function JobForm({
  job,
  onDone,
  onCancel,
}: {
  job?: Job;
  onDone: (job: Job) => void;
  onCancel: () => void;
}) {
  const [d, setD] = useState<Draft>(() => draftOf(job));
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const field =
    <K extends keyof Draft>(key: K) =>
    (e: { currentTarget: { value: string } }) =>
      setD({ ...d, [key]: e.currentTarget.value as Draft[K] });

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const common = {
        name: d.name.trim(),
        schedule: scheduleOf(d, job?.schedule),
        target: targetOf(d, job?.target),
        tags: tagsOf(d.tags),
        priority: Number(d.priority) as Priority,
        pauseAfterFailures: Number.parseInt(d.pauseAfter, 10) || 0,
      };
      if (job) {
        const res = await jobs.updateJob({
          job: create(JobSchema, { ...common, id: job.id }),
          updateMask: {
            paths: ["name", "schedule", "target", "tags", "priority", "pause_after_failures"],
          },
          expectedVersion: job.version,
        });
        if (res.job) onDone(res.job);
      } else {
        const res = await jobs.createJob({ ...common, owner: d.owner.trim() });
        if (res.job) onDone(res.job);
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const id = job ? `edit-${job.id}` : "new";
  return (
    <form class="card form" onSubmit={submit} aria-label={job ? "Edit job" : "New job"}>
      <h2>{job ? "Edit job" : "New job"}</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="grid">
        <label for={`${id}-name`}>Name</label>
        <input id={`${id}-name`} required value={d.name} onInput={field("name")} />
        {!job && (
          <>
            <label for={`${id}-owner`}>Owner</label>
            <input id={`${id}-owner`} value={d.owner} onInput={field("owner")} />
          </>
        )}
        <label for={`${id}-skind`}>Schedule kind</label>
        <select id={`${id}-skind`} value={d.scheduleKind} onChange={field("scheduleKind")}>
          <option value="interval">interval (e.g. 5s, rate(15 minutes))</option>
          <option value="cron">cron (e.g. 0 9 * * MON-FRI)</option>
        </select>
        <label for={`${id}-schedule`}>Schedule</label>
        <input id={`${id}-schedule`} required value={d.schedule} onInput={field("schedule")} />
        <label for={`${id}-zone`}>Time zone</label>
        <input id={`${id}-zone`} placeholder="UTC" value={d.timeZone} onInput={field("timeZone")} />
        <label for={`${id}-window`}>Flexible window (seconds)</label>
        <input
          id={`${id}-window`}
          type="number"
          min="0"
          max="900"
          step="any"
          placeholder="none: each run starts at its time"
          value={d.flexibleWindow}
          onInput={field("flexibleWindow")}
        />
        <label for={`${id}-tkind`}>Target</label>
        <select id={`${id}-tkind`} value={d.targetKind} onChange={field("targetKind")}>
          <option value="noop">noop</option>
          <option value="http">HTTP request</option>
        </select>
        {d.targetKind === "http" && (
          <>
            <label for={`${id}-method`}>Method</label>
            <select id={`${id}-method`} value={d.method} onChange={field("method")}>
              {["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
            <label for={`${id}-url`}>Target URL</label>
            <input id={`${id}-url`} type="url" required value={d.url} onInput={field("url")} />
          </>
        )}
        <label for={`${id}-tags`}>Tags (comma-separated)</label>
        <input id={`${id}-tags`} value={d.tags} onInput={field("tags")} />
        <label for={`${id}-priority`}>Priority</label>
        <select
          id={`${id}-priority`}
          value={String(d.priority)}
          onChange={(e) => setD({ ...d, priority: Number(e.currentTarget.value) as Priority })}
        >
          <option value="0">default</option>
          {enumValues(Priority).map((p) => (
            <option key={p} value={String(p)}>
              {priorityName(p)}
            </option>
          ))}
        </select>
        <label for={`${id}-pause-after`}>Pause after failed runs in a row</label>
        <input
          id={`${id}-pause-after`}
          type="number"
          min={0}
          max={1000}
          placeholder="off"
          value={d.pauseAfter}
          onInput={field("pauseAfter")}
        />
      </div>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {job ? "Save" : "Create job"}
        </button>
        <button type="button" class="quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
