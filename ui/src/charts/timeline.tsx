/**
 * A job's runs on a time axis: for each run, a thin bar from its scheduled
 * time to its start (lateness) and a thick one from start to end (duration),
 * coloured by status. Drawn as SVG that scales to the page width.
 */
import type { Execution } from "../../../gen/chronoring/v1/execution_pb.js";
import { duration, executionStatus, ms } from "../format.js";

const W = 800;
const ROW = 14;
const LEFT = 4;

export function RunTimeline({ runs }: { runs: Execution[] }) {
  const rows = runs
    .map((r) => ({
      r,
      scheduled: ms(r.scheduledTime) ?? ms(r.queueTime),
      start: ms(r.startTime),
      end: ms(r.endTime),
    }))
    .filter((x) => x.scheduled !== undefined)
    .slice(0, 30)
    .reverse();
  if (rows.length === 0) return null;
  const now = Date.now();
  const from = Math.min(...rows.map((x) => x.scheduled ?? now));
  const to = Math.max(...rows.map((x) => x.end ?? x.start ?? x.scheduled ?? now), from + 1000);
  const x = (t: number) => LEFT + ((t - from) / (to - from)) * (W - 2 * LEFT);
  const h = rows.length * ROW + 22;
  const late = rows
    .filter((v) => v.start !== undefined)
    .map((v) => (v.start ?? 0) - (v.scheduled ?? 0));
  const worst = late.length ? Math.max(...late) : undefined;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${h}`}
        role="img"
        aria-labelledby="timeline-title"
        data-testid="run-timeline"
      >
        <title id="timeline-title">
          Timeline of the last {rows.length} runs: lateness (thin) and duration (thick)
        </title>
        {rows.map((v, i) => {
          const y = i * ROW + 4;
          const status = executionStatus(v.r.status);
          const s = v.scheduled ?? from;
          return (
            <g key={v.r.id} class={`run s-${status}`}>
              <title>
                {`${status}, attempt ${v.r.attempt}: late ${duration(
                  v.start === undefined ? undefined : v.start - s,
                )}, took ${duration(
                  v.start === undefined || v.end === undefined ? undefined : v.end - v.start,
                )}`}
              </title>
              <circle cx={x(s)} cy={y + 5} r={2.5} class="sched" />
              {v.start !== undefined && (
                <line x1={x(s)} x2={x(v.start)} y1={y + 5} y2={y + 5} class="late" />
              )}
              {v.start !== undefined && (
                <rect
                  x={x(v.start)}
                  y={y}
                  height={10}
                  width={Math.max(2, x(v.end ?? now) - x(v.start))}
                  class="took"
                />
              )}
            </g>
          );
        })}
        <text x={LEFT} y={h - 4} class="axis">
          {new Date(from).toISOString().slice(11, 19)}Z
        </text>
        <text x={W - LEFT} y={h - 4} class="axis" text-anchor="end">
          {new Date(to).toISOString().slice(11, 19)}Z
        </text>
      </svg>
      <figcaption>
        Dots: scheduled time; thin line: lateness (started − scheduled); bar: duration (finished −
        started). Worst lateness shown: {duration(worst)}.
      </figcaption>
    </figure>
  );
}
