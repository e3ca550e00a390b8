/** Dead runs: runs that used up their attempts; redrive (run again) or purge. */
import { useState } from "preact/hooks";
import { deadRuns, errorText } from "../api.js";
import { executionStatus, time } from "../format.js";
import { usePoll } from "../poll.js";

export function DeadRunsPage() {
  const list = usePoll(() => deadRuns.listDeadRuns({ pageSize: 100 }), []);
  const [message, setMessage] = useState<{ error: boolean; text: string } | undefined>();
  const act = async (label: string, call: () => Promise<unknown>) => {
    try {
      await call();
      setMessage({ error: false, text: `${label}: done` });
    } catch (err) {
      setMessage({ error: true, text: `${label}: ${errorText(err)}` });
    }
    list.reload();
  };
  const runs = list.data?.executions ?? [];
  return (
    <section>
      <h1>Dead runs</h1>
      {message && (
        <p role={message.error ? "alert" : "status"} class={message.error ? "error" : "ok"}>
          {message.text}
        </p>
      )}
      {list.error && <p class="error">{list.error}</p>}
      {runs.length === 0 ? (
        <p class="empty">No dead runs.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Dead runs</caption>
            <thead>
              <tr>
                <th>Run</th>
                <th>Job</th>
                <th>Scheduled</th>
                <th>Attempts</th>
                <th>Error</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`/ui/executions/${encodeURIComponent(r.id)}`}>
                      <code>{r.id.slice(-12)}</code>
                    </a>{" "}
                    <span class="status s-dead">{executionStatus(r.status)}</span>
                  </td>
                  <td>
                    <a href={`/ui/jobs/${encodeURIComponent(r.jobId)}`}>{r.jobId}</a>
                  </td>
                  <td>{time(r.scheduledTime)}</td>
                  <td>{r.attempt}</td>
                  <td class="clip error">{r.error}</td>
                  <td class="row-actions">
                    <button
                      type="button"
                      aria-label={`Redrive run ${r.id}`}
                      onClick={() =>
                        act("Redrive", () => deadRuns.redriveDeadRuns({ executionIds: [r.id] }))
                      }
                    >
                      Redrive
                    </button>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Purge run ${r.id}`}
                      onClick={() =>
                        window.confirm("Purge this dead run?") &&
                        act("Purge", () => deadRuns.purgeDeadRuns({ executionIds: [r.id] }))
                      }
                    >
                      Purge
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
