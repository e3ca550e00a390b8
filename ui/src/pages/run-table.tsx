/** A table of runs: status, attempt, worker, lateness, duration, error and output. */
import type { Execution } from "../../../gen/chronoring/v1/execution_pb.js";
import { between, executionStatus, time } from "../format.js";

export function RunTable({ runs, caption = "Runs" }: { runs: Execution[]; caption?: string }) {
  if (runs.length === 0) return <p class="empty">No runs yet.</p>;
  return (
    <div class="table-wrap">
      <table class="runs">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th>Run</th>
            <th>Status</th>
            <th>Attempt</th>
            <th>Scheduled</th>
            <th>Late by</th>
            <th>Took</th>
            <th>Worker</th>
            <th>Error / output</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <a href={`/ui/executions/${encodeURIComponent(r.id)}`}>
                  <code>{r.id.slice(-12)}</code>
                </a>
                {r.manual && <span class="note">manual</span>}
              </td>
              <td>
                <span class={`status s-${executionStatus(r.status)}`}>
                  {executionStatus(r.status)}
                </span>
              </td>
              <td>{r.attempt}</td>
              <td>{time(r.scheduledTime)}</td>
              <td>{between(r.scheduledTime, r.startTime)}</td>
              <td>{between(r.startTime, r.endTime)}</td>
              <td>{r.workerId || "—"}</td>
              <td class="clip">{r.error ? <span class="error">{r.error}</span> : r.result}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
