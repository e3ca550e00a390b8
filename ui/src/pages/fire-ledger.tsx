/**
 * The job page's fire ledger (ListFires): every nominal time of the last
 * 24 hours and what became of it, newest first, with the counts by
 * outcome. A job firing more than a page's worth in 24 hours shows its
 * last hour (or five minutes) instead, whole.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Fire, FireOutcome } from "../../../gen/chronoring/v1/fire_pb.js";
import type { ListFiresResponse } from "../../../gen/chronoring/v1/job_service_pb.js";
import { jobs } from "../api.js";
import { time, waitText } from "../format.js";
import { usePoll } from "../poll.js";

const PAGE = 1000;
const WINDOWS: Array<[number, string]> = [
  [24 * 3_600_000, "24 hours"],
  [3_600_000, "hour"],
  [5 * 60_000, "5 minutes"],
];

/** The widest window whose times fit in one page. */
async function recentLedger(id: string): Promise<{ res: ListFiresResponse; label: string }> {
  const now = Date.now();
  let last: { res: ListFiresResponse; label: string } | undefined;
  for (const [span, label] of WINDOWS) {
    const res = await jobs.listFires({
      jobId: id,
      from: timestampFromMs(now - span),
      to: timestampFromMs(now),
      pageSize: PAGE,
    });
    last = { res, label };
    if (res.nextPageToken === "") break;
  }
  return last!;
}

const outcomeName = (o: FireOutcome) => FireOutcome[o] ?? String(o);

function detail(f: Fire): string[] {
  const parts: string[] = [];
  if (f.pause) {
    const who = f.pause.pausedBy ? `paused by ${f.pause.pausedBy}` : "paused";
    parts.push(f.pause.note ? `${who}: ${f.pause.note}` : who);
  }
  if (f.wait) parts.push(`held: ${waitText(f.wait)}`);
  for (const n of f.notes) if (!parts.includes(n)) parts.push(n);
  return parts;
}

export function FireLedger({ id }: { id: string }) {
  const ledger = usePoll(() => recentLedger(id), [id], 15_000);
  const data = ledger.data;
  const fires = [...(data?.res.fires ?? [])].reverse();
  return (
    <>
      <h2>Fire ledger</h2>
      <p class="hint">
        Every time the schedule named in the last {data?.label ?? "24 hours"}, and what became of it
        {data?.res.timeZone ? ` (local times in ${data.res.timeZone})` : ""}.
      </p>
      {ledger.error && <p class="error">{ledger.error}</p>}
      {data && (
        <p class="ledger-counts">
          {data.res.counts.map((c) => (
            <span key={c.outcome} class={`status o-${outcomeName(c.outcome)}`}>
              {outcomeName(c.outcome)} {String(c.count)}
            </span>
          ))}
        </p>
      )}
      {data && fires.length === 0 && <p class="empty">No fire times in this window.</p>}
      {fires.length > 0 && (
        <div class="table-wrap">
          <table class="ledger">
            <caption class="sr-only">Fire ledger</caption>
            <thead>
              <tr>
                <th>Nominal time</th>
                <th>Local</th>
                <th>Outcome</th>
                <th>Run</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {fires.map((f) => (
                <tr key={String(f.nominalTime?.seconds)}>
                  <td>{time(f.nominalTime)}</td>
                  <td class="local">{f.localTime}</td>
                  <td>
                    <span class={`status o-${outcomeName(f.outcome)}`}>
                      {outcomeName(f.outcome)}
                    </span>
                  </td>
                  <td>
                    {f.executionId ? (
                      <a href={`/ui/executions/${encodeURIComponent(f.executionId)}`}>
                        <code>{f.executionId.slice(-12)}</code>
                      </a>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td>
                    {detail(f).map((d) => (
                      <span key={d} class="note">
                        {d}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
