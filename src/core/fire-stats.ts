/**
 * Fire statistics: how many runs of a tenant started per minute, and how
 * late. Pure counting and reading here; workers count in memory
 * (`src/worker/fire-stats-recorder.ts`) and add their counts to one item per
 * tenant and minute (`FireStatsStore`), so that a fire costs no store write.
 */

import type { Clock } from "./clock.js";
import { invalidArgument } from "./errors.js";
import type { FireCounts, FireStatsStore } from "./ports/fire-stats-store.js";

export type { FireCounts } from "./ports/fire-stats-store.js";

export const MINUTE_MS = 60_000;

/**
 * Upper bounds of the lateness buckets, ms. A bucket per bound plus one for
 * later than the last: fine where a healthy scheduler is (tens of ms), coarse
 * where only the order of magnitude matters.
 */
export const LATENESS_BOUNDS_MS: readonly number[] = [
  10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000,
];

export function emptyCounts(): FireCounts {
  return {
    fires: 0,
    retries: 0,
    latenessSumMs: 0,
    buckets: LATENESS_BOUNDS_MS.map(() => 0).concat(0),
  };
}

/** The index of the bucket a lateness falls in. */
export function bucketOf(latenessMs: number): number {
  const at = LATENESS_BOUNDS_MS.findIndex((bound) => latenessMs <= bound);
  return at < 0 ? LATENESS_BOUNDS_MS.length : at;
}

/** Counts one start. Only a first attempt's lateness is counted: a retry is late by its delay. */
export function countStart(counts: FireCounts, attempt: number, latenessMs: number): void {
  if (attempt > 1) {
    counts.retries++;
    return;
  }
  // A worker whose clock runs behind the scheduler's may see a start before its time.
  const late = Math.max(0, Math.round(latenessMs));
  counts.fires++;
  counts.latenessSumMs += late;
  counts.buckets[bucketOf(late)]!++;
}

/** Adds `from` to `into`. */
export function mergeCounts(into: FireCounts, from: FireCounts): void {
  into.fires += from.fires;
  into.retries += from.retries;
  into.latenessSumMs += from.latenessSumMs;
  from.buckets.forEach((n, i) => {
    into.buckets[i] = (into.buckets[i] ?? 0) + n;
  });
}

/**
 * The lateness under which a fraction `q` of the fires fall, as the upper
 * bound of the bucket that holds it (the last bound for the overflow
 * bucket); 0 without fires.
 */
export function latenessQuantileMs(buckets: readonly number[], q: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= rank) return LATENESS_BOUNDS_MS[Math.min(i, LATENESS_BOUNDS_MS.length - 1)]!;
  }
  return LATENESS_BOUNDS_MS[LATENESS_BOUNDS_MS.length - 1]!;
}

/** The first instant of the minute `ms` falls in. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export interface FireStatsWindow {
  /** Every minute of the window, oldest first, zero-filled. */
  minutes: Array<{ startMs: number; counts: FireCounts }>;
  /** The sum over the window. */
  total: FireCounts;
}

/** The last `minutes` minutes up to the one `nowMs` is in, from the stored minutes. */
export function fireStatsWindow(
  stored: ReadonlyMap<number, FireCounts>,
  nowMs: number,
  minutes: number,
): FireStatsWindow {
  const last = minuteOf(nowMs);
  const total = emptyCounts();
  const out: FireStatsWindow["minutes"] = [];
  for (let i = minutes - 1; i >= 0; i--) {
    const startMs = last - i * MINUTE_MS;
    const counts = stored.get(startMs) ?? emptyCounts();
    mergeCounts(total, counts);
    out.push({ startMs, counts });
  }
  return { minutes: out, total };
}

export const FIRE_STATS_MINUTES_DEFAULT = 60;
/** A day: the items are kept two (their TTL), so a whole day is always there. */
export const FIRE_STATS_MINUTES_MAX = 1440;

export interface FireStatsQueries {
  /** The caller's tenant's last `minutes` minutes (0: the default hour). */
  recent(tenant: string, minutes: number): Promise<FireStatsWindow>;
}

export function createFireStatsQueries(deps: {
  store: FireStatsStore;
  clock: Clock;
}): FireStatsQueries {
  return {
    async recent(tenant, minutes) {
      const count = minutes === 0 ? FIRE_STATS_MINUTES_DEFAULT : minutes;
      if (count < 1 || count > FIRE_STATS_MINUTES_MAX) {
        throw invalidArgument(
          "minutes",
          `must be 1 to ${FIRE_STATS_MINUTES_MAX}, or 0 for ${FIRE_STATS_MINUTES_DEFAULT}`,
        );
      }
      const nowMs = deps.clock.now();
      const last = minuteOf(nowMs);
      const stored = await deps.store.read(tenant, last - (count - 1) * MINUTE_MS, last);
      return fireStatsWindow(stored, nowMs, count);
    },
  };
}
