/**
 * The cluster: members and the leader, the partition map (256 cells coloured
 * by owner), workers with their runs in flight, pause and resume a worker.
 */
import { useState } from "preact/hooks";
import type { ClusterMember } from "../../../gen/chronoring/v1/cluster_service_pb.js";
import { cluster, errorText } from "../api.js";
import { time } from "../format.js";
import { usePoll } from "../poll.js";
import { RunTable } from "./run-table.js";

const PARTITIONS = 256;
const COLS = 16;

/** A colour per owner, spread around the hue circle. */
function colourOf(owners: string[], owner: string | undefined): string {
  if (!owner) return "var(--unowned)";
  const i = owners.indexOf(owner);
  return `hsl(${Math.round((i * 360) / Math.max(owners.length, 1) + 200) % 360} 65% 50%)`;
}

function WorkerRuns({ worker }: { worker: ClusterMember }) {
  const runs = usePoll(
    () => cluster.listWorkerRuns({ workerId: worker.id, pageSize: 50 }),
    [worker.id],
  );
  if (runs.error) return <p class="error">{runs.error}</p>;
  return <RunTable runs={runs.data?.executions ?? []} caption={`Runs in flight on ${worker.id}`} />;
}

export function ClusterPage() {
  const view = usePoll(() => cluster.getCluster({}), []);
  const [error, setError] = useState<string | undefined>();
  const c = view.data;
  const schedulers = c
    ? [...new Set(c.partitions.map((p) => p.nodeId).filter(Boolean))].sort()
    : [];
  const owner = new Map(c?.partitions.map((p) => [p.partition, p.nodeId]) ?? []);
  const workers = c?.members.filter((m) => m.role === "worker") ?? [];
  const toggle = (w: ClusterMember) =>
    (w.paused
      ? cluster.resumeWorker({ workerId: w.id })
      : cluster.pauseWorker({ workerId: w.id })
    ).then(
      () => view.reload(),
      (err: unknown) => setError(errorText(err)),
    );
  return (
    <section>
      <h1>Cluster</h1>
      {(error || view.error) && (
        <p role="alert" class="error">
          {error ?? view.error}
        </p>
      )}
      {c && (
        <>
          <h2>Members</h2>
          <div class="table-wrap">
            <table data-testid="members">
              <caption class="sr-only">Members</caption>
              <thead>
                <tr>
                  <th>Id</th>
                  <th>Role</th>
                  <th>Joined</th>
                  <th>Partitions</th>
                  <th>In flight</th>
                </tr>
              </thead>
              <tbody>
                {c.members.map((m) => (
                  <tr key={`${m.role}:${m.id}`}>
                    <td>
                      <code>{m.id}</code>
                      {m.role === "scheduler" && m.id === c.leaderId && (
                        <span class="note">leader</span>
                      )}
                      {m.paused && <span class="note">paused</span>}
                    </td>
                    <td>{m.role}</td>
                    <td>{time(m.joinTime)}</td>
                    <td>{m.partitionsOwned}</td>
                    <td>{m.role === "worker" ? `${m.inFlight} / ${m.concurrency || "—"}` : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Partitions</h2>
          <p>
            Leader: <code>{c.leaderId || "none"}</code> · assignment epoch{" "}
            {String(c.assignmentEpoch)}
          </p>
          <figure class="chart partition-map">
            <svg
              viewBox={`0 0 ${COLS * 12} ${(PARTITIONS / COLS) * 12}`}
              role="img"
              aria-label={`Partition map: ${PARTITIONS} partitions owned by ${schedulers.length} scheduler(s)`}
              data-testid="partition-map"
            >
              {Array.from({ length: PARTITIONS }, (_, p) => (
                <rect
                  key={p}
                  x={(p % COLS) * 12}
                  y={Math.floor(p / COLS) * 12}
                  width={11}
                  height={11}
                  fill={colourOf(schedulers, owner.get(p))}
                >
                  <title>{`partition ${p}: ${owner.get(p) || "unowned"}`}</title>
                </rect>
              ))}
            </svg>
            <figcaption>
              <ul class="legend">
                {schedulers.map((s) => (
                  <li key={s}>
                    <span class="swatch" style={{ background: colourOf(schedulers, s) }} />
                    <code>{s}</code>
                  </li>
                ))}
                <li>
                  <span class="swatch" style={{ background: "var(--unowned)" }} /> unowned
                </li>
              </ul>
            </figcaption>
          </figure>
          <h2>Workers</h2>
          {workers.length === 0 && <p class="empty">No workers.</p>}
          {workers.map((w) => (
            <article key={w.id} class="card">
              <h3>
                <code>{w.id}</code> {w.paused ? "(paused)" : ""}
              </h3>
              <p>
                {w.inFlight} in flight of {w.concurrency || "—"}
              </p>
              <button
                type="button"
                onClick={() => toggle(w)}
                aria-label={`${w.paused ? "Resume" : "Pause"} worker ${w.id}`}
              >
                {w.paused ? "Resume" : "Pause"}
              </button>
              <WorkerRuns worker={w} />
            </article>
          ))}
        </>
      )}
    </section>
  );
}
