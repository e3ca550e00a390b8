/**
 * The tenant's runs started per minute over the last hour and their
 * lateness (p50, p99), from JobService.GetFireStats: bars for starts, a line
 * for p99 lateness.
 */
import { jobs } from "../api.js";
import { duration, ms } from "../format.js";
import { usePoll } from "../poll.js";

const W = 800;
const H = 140;
const PAD = 22;

export function FireStats() {
  const stats = usePoll(() => jobs.getFireStats({ minutes: 60 }), [], 10_000);
  const d = stats.data;
  if (stats.error) return <p class="error">Fire stats: {stats.error}</p>;
  if (!d) return null;
  const minutes = d.minutes;
  const n = Math.max(minutes.length, 1);
  const maxFires = Math.max(1, ...minutes.map((m) => Number(m.fires)));
  const maxLate = Math.max(1, ...minutes.map((m) => m.latenessP99Ms));
  const bw = (W - 2 * PAD) / n;
  const y = (v: number, max: number) => H - PAD - (v / max) * (H - 2 * PAD);
  const line = minutes
    .map((m, i) => `${(PAD + bw * (i + 0.5)).toFixed(1)},${y(m.latenessP99Ms, maxLate).toFixed(1)}`)
    .join(" ");
  const first = ms(minutes[0]?.startTime);
  return (
    <figure class="chart card">
      <figcaption>
        Last hour: <strong>{String(d.fires)}</strong> runs started ({String(d.retries)} retries);
        lateness p50 {duration(d.latenessP50Ms)}, p99 {duration(d.latenessP99Ms)}.
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby="fire-stats-title"
        data-testid="fire-stats"
      >
        <title id="fire-stats-title">
          Runs started per minute (bars, up to {maxFires}) and p99 lateness (line, up to{" "}
          {duration(maxLate)}) over the last hour
        </title>
        {minutes.map((m, i) => {
          const fires = Number(m.fires);
          return (
            <rect
              key={String(m.startTime?.seconds ?? i)}
              class="fires-bar"
              x={PAD + bw * i + 1}
              width={Math.max(1, bw - 2)}
              y={y(fires, maxFires)}
              height={H - PAD - y(fires, maxFires)}
            >
              <title>{`${fires} started, p99 late ${duration(m.latenessP99Ms)}`}</title>
            </rect>
          );
        })}
        <polyline class="late-line" points={line} fill="none" />
        <text x={PAD} y={12} class="axis">
          {maxFires}/min · p99 ≤ {duration(maxLate)}
        </text>
        {first !== undefined && (
          <text x={PAD} y={H - 6} class="axis">
            {new Date(first).toISOString().slice(11, 16)}Z
          </text>
        )}
        <text x={W - PAD} y={H - 6} class="axis" text-anchor="end">
          now
        </text>
      </svg>
    </figure>
  );
}
