/**
 * The job page's backfills (BackfillService): each with its state, range
 * and progress (a bar over the times selected, and the counts), newest
 * first, and a cancel button while it runs. Started from the CLI or the
 * API (docs/backfill.md).
 */
import { useState } from "preact/hooks";
import {
  type Backfill,
  BackfillMode,
  BackfillState,
} from "../../../gen/chronoring/v1/backfill_service_pb.js";
import { backfills, errorText } from "../api.js";
import { time } from "../format.js";
import { usePoll } from "../poll.js";

const STATE_CLASS: Record<BackfillState, string> = {
  [BackfillState.UNSPECIFIED]: "",
  [BackfillState.RUNNING]: "s-running",
  [BackfillState.DONE]: "s-succeeded",
  [BackfillState.CANCELLED]: "s-paused",
  [BackfillState.FAILED]: "s-failed",
};

function counts(b: Backfill): string {
  const c = b.counts;
  if (!c) return "—";
  const parts = [`${c.succeeded} ok`, `${c.failed} failed`];
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  if (c.inFlight) parts.push(`${c.inFlight} running or queued`);
  if (c.remaining) parts.push(`${c.remaining} to send`);
  return parts.join(" · ");
}

export function Backfills({ id }: { id: string }) {
  const list = usePoll(() => backfills.listBackfills({ jobId: id, pageSize: 20 }), [id]);
  const [message, setMessage] = useState<{ error: boolean; text: string } | undefined>();
  const cancel = async (b: Backfill) => {
    if (!window.confirm(`Cancel backfill ${b.id}? Runs already sent go on.`)) return;
    try {
      await backfills.cancelBackfill({ id: b.id });
      setMessage({ error: false, text: `Cancel ${b.id}: done` });
    } catch (err) {
      setMessage({ error: true, text: `Cancel ${b.id}: ${errorText(err)}` });
    }
    list.reload();
  };
  const rows = list.data?.backfills ?? [];
  return (
    <>
      <h2>Backfills</h2>
      <p class="hint">
        Runs of past times, below live traffic: <code>chronoring jobs backfill {id} …</code>
      </p>
      {message && (
        <p role={message.error ? "alert" : "status"} class={message.error ? "error" : "ok"}>
          {message.text}
        </p>
      )}
      {list.error && <p class="error">{list.error}</p>}
      {list.data && rows.length === 0 && <p class="empty">No backfills.</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="backfills">
            <caption class="sr-only">Backfills</caption>
            <thead>
              <tr>
                <th>Backfill</th>
                <th>Range</th>
                <th>Progress</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => {
                const c = b.counts;
                const done = (c?.succeeded ?? 0) + (c?.failed ?? 0) + (c?.skipped ?? 0);
                const state = BackfillState[b.state] ?? String(b.state);
                return (
                  <tr key={b.id}>
                    <td>
                      <code>{b.id}</code>{" "}
                      <span class={`status ${STATE_CLASS[b.state]}`}>{state}</span>
                      <span class="note">{BackfillMode[b.mode]}</span>
                    </td>
                    <td>
                      {time(b.from)} – {time(b.to)}
                    </td>
                    <td>
                      <progress
                        max={c?.selected || 1}
                        value={c?.selected ? done : 1}
                        aria-label={`Backfill ${b.id} progress`}
                      />{" "}
                      {done}/{c?.selected ?? 0} <span class="hint">{counts(b)}</span>
                      {b.error && <span class="error"> {b.error}</span>}
                    </td>
                    <td class="row-actions">
                      {b.state === BackfillState.RUNNING && (
                        <button
                          type="button"
                          class="danger"
                          aria-label={`Cancel backfill ${b.id}`}
                          onClick={() => void cancel(b)}
                        >
                          Cancel
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
