/**
 * Misfire and catch-up: what to do with the runs of a job that came due while
 * nothing could fire them. Pure: the claimer calls `planCatchUp` with the
 * job's next run and now, and writes the plan in its one conditional claim.
 */

import type { Schedule } from "../job.js";
import { type FireContext, nextFire } from "./fire.js";
import { DEFAULT_MISFIRE } from "./policies.js";

/** The runs to fire now, how many are dropped, and the next run after now. */
export interface CatchUp {
  /** Scheduled times to fire now, ascending (may be empty: SKIP). */
  runs: number[];
  /** Due runs dropped by the policy. */
  missed: number;
  /** The first run after now, undefined when the schedule has no more. */
  nextRunMs: number | undefined;
}

/**
 * Due runs are counted one by one up to this many; beyond, the count stops
 * there (a one-second interval down for more than a day).
 */
export const MAX_COUNTED = 100_000;

/**
 * The catch-up plan of a job whose next run `dueMs` is more than the
 * policy's threshold before `nowMs`; undefined when the run is on time (or
 * merely late): it is then claimed as usual.
 */
export function planCatchUp(
  schedule: Schedule,
  dueMs: number,
  nowMs: number,
  ctx: FireContext,
): CatchUp | undefined {
  const policy = schedule.misfire ?? DEFAULT_MISFIRE;
  if (nowMs - dueMs <= policy.thresholdMs) return undefined;
  const total = countDue(schedule, dueMs, nowMs, ctx);
  const nextRunMs = nextFire(schedule, nowMs, ctx);
  let runs: number[];
  switch (policy.mode) {
    case "SKIP":
      runs = [];
      break;
    case "FIRE_ONCE":
      runs = recent(schedule, ctx, dueMs, nowMs, 1);
      break;
    case "FIRE_ALL":
      runs = recent(
        schedule,
        ctx,
        Math.max(dueMs, nowMs - policy.windowMs),
        nowMs,
        policy.maxCatchUp,
      );
      break;
  }
  return { runs, missed: Math.max(0, total - runs.length), nextRunMs };
}

/** Runs in [dueMs, nowMs] (dueMs is a run), counted up to MAX_COUNTED. */
function countDue(schedule: Schedule, dueMs: number, nowMs: number, ctx: FireContext): number {
  if (
    schedule.kind === "interval" &&
    schedule.jitterMs === undefined &&
    schedule.calendar === undefined
  ) {
    const last = Math.min(nowMs, schedule.endMs ?? nowMs);
    return last < dueMs ? 1 : Math.floor((last - dueMs) / schedule.periodMs) + 1;
  }
  let count = 0;
  for (let t: number | undefined = dueMs; t !== undefined && t <= nowMs; ) {
    if (++count >= MAX_COUNTED) break;
    t = nextFire(schedule, t, ctx);
  }
  return count;
}

/**
 * The last `k` runs in [floorMs, nowMs], ascending. Looks back over a span
 * that grows fourfold from one minute, so that a frequent schedule does not
 * walk its whole outage.
 */
function recent(
  schedule: Schedule,
  ctx: FireContext,
  floorMs: number,
  nowMs: number,
  k: number,
): number[] {
  for (let span = 60_000; ; span *= 4) {
    const from = Math.max(floorMs, nowMs - span);
    const found: number[] = [];
    for (let t = nextFire(schedule, from - 1, ctx); t !== undefined && t <= nowMs; ) {
      found.push(t);
      if (found.length > k) found.shift();
      t = nextFire(schedule, t, ctx);
    }
    if (found.length >= k || from === floorMs) return found;
  }
}
