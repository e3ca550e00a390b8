/** One run: its id, attempts, output, error and checkpoint. */
import { useRoute } from "preact-iso";
import { jobs } from "../api.js";
import { between, executionStatus, time, waitText } from "../format.js";
import { usePoll } from "../poll.js";

export function ExecutionPage() {
  const { params } = useRoute();
  const id = params.id ?? "";
  const run = usePoll(() => jobs.getExecution({ id }).then((r) => r.execution), [id]);
  const e = run.data;
  const checkpoint = e?.checkpoint.length ? new TextDecoder().decode(e.checkpoint) : undefined;
  return (
    <section>
      <p class="crumbs">
        <a href="/ui/jobs">Jobs</a> /{" "}
        {e && <a href={`/ui/jobs/${encodeURIComponent(e.jobId)}`}>{e.jobId}</a>} /
      </p>
      <h1>Run</h1>
      {run.error && (
        <p role="alert" class="error">
          {run.error}
        </p>
      )}
      {e && (
        <dl class="spec card">
          <dt>Execution id</dt>
          <dd>
            <code>{e.id}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            <span class={`status s-${executionStatus(e.status)}`}>{executionStatus(e.status)}</span>
            {e.manual && <span class="note">manual</span>}
          </dd>
          <dt>Attempt</dt>
          <dd>{e.attempt}</dd>
          <dt>Worker</dt>
          <dd>{e.workerId || "—"}</dd>
          <dt>Scheduled</dt>
          <dd>{time(e.scheduledTime)}</dd>
          <dt>Queued</dt>
          <dd>{time(e.queueTime)}</dd>
          <dt>Started</dt>
          <dd>
            {time(e.startTime)} (late by {between(e.scheduledTime, e.startTime)})
          </dd>
          <dt>Ended</dt>
          <dd>
            {time(e.endTime)} (took {between(e.startTime, e.endTime)})
          </dd>
          <dt>Waited</dt>
          <dd>{waitText(e.wait)}</dd>
          <dt>Next attempt</dt>
          <dd>{time(e.nextAttemptTime)}</dd>
          <dt>Error</dt>
          <dd>{e.error ? <pre class="error">{e.error}</pre> : "—"}</dd>
          <dt>Output</dt>
          <dd>{e.result ? <pre>{e.result}</pre> : "—"}</dd>
          <dt>Checkpoint</dt>
          <dd>{checkpoint ? <pre>{checkpoint}</pre> : "—"}</dd>
        </dl>
      )}
    </section>
  );
}
