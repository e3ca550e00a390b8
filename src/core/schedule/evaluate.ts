/**
 * Pure schedule evaluation: schedule + instant -> next fire instants. Every
 * instant is UTC epoch ms; zones matter only for cron (see `zone.ts`).
 */

import type { Schedule } from "../job.js";
import type { DstGapMode } from "../time-policy.js";
import { DAY_MS, HOUR_MS } from "./calendar.js";
import { cronMatcher } from "./cron-cache.js";
import { nextIntervalRun } from "./interval.js";
import { zoneClock } from "./zone.js";

export type CronSchedule = Extract<Schedule, { kind: "cron" }>;

/** 9999-12-31T23:59:59.999Z: no schedule runs later. */
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/**
 * How far ahead a cron without a year field is searched. The sparsest valid
 * patterns (`0 0 * 2 1#5`, the fifth Monday of February) recur within 40
 * years; this bounds the work for one that can never match.
 */
const CRON_SEARCH_MS = 100 * 366 * DAY_MS;
/** Wall-clock readings differ from instants by less than this. */
const MAX_OFFSET_MS = 16 * HOUR_MS;

/** First fire time strictly after `afterMs` honouring start/end, or undefined when the schedule has no more. */
export function nextRunAfter(schedule: Schedule, afterMs: number): number | undefined {
  if (!Number.isFinite(afterMs)) throw new RangeError(`not an instant: ${afterMs}`);
  switch (schedule.kind) {
    case "once":
      return schedule.at > afterMs ? schedule.at : undefined;
    case "interval": {
      const run = nextIntervalRun(schedule, afterMs);
      return run !== undefined && run <= MAX_INSTANT_MS ? run : undefined;
    }
    case "cron":
      return nextCronRun(schedule, afterMs);
  }
}

/**
 * The first run of a newly created or resumed job: for "once", `at` even when
 * it is past (it fires at once); for recurring schedules the first fire at or
 * after `nowMs`.
 */
export function firstRun(schedule: Schedule, nowMs: number): number | undefined {
  return schedule.kind === "once" ? schedule.at : nextRunAfter(schedule, nowMs - 1);
}

/** Up to `count` fire times strictly after `afterMs`, ascending. Callers bound `count`. */
export function upcoming(schedule: Schedule, afterMs: number, count: number): number[] {
  const runs: number[] = [];
  let after = afterMs;
  while (runs.length < count) {
    const run = nextRunAfter(schedule, after);
    if (run === undefined) break;
    runs.push(run);
    after = run;
  }
  return runs;
}

/** The zone a schedule is read in ("UTC" for once/interval). */
export function scheduleZone(schedule: Schedule): string {
  return schedule.kind === "cron" ? schedule.timeZone : "UTC";
}

/**
 * Next cron fire strictly after `afterMs`. Matching runs on wall-clock
 * readings; each matching reading is mapped to its instant by the DST rules
 * (by default gap -> first instant after it, repeat -> first occurrence; the
 * schedule's `dst` policy may skip gap readings and fire repeated ones at
 * their last or both occurrences). Each single mapping is non-decreasing, so
 * starting the search at `searchFrom(afterMs)` (`searchFromLast` for the last
 * occurrence) makes the first match the answer; the loop only guards against
 * the unexpected.
 * `horizonMs` bounds how far past `afterMs` to look.
 */
export function nextCronRun(
  schedule: CronSchedule,
  afterMs: number,
  horizonMs?: number,
): number | undefined {
  const dst = schedule.dst;
  if (dst === undefined) return searchCron(schedule, afterMs, horizonMs, "FIRST", "SHIFT_FORWARD");
  if (dst.fold !== "BOTH") return searchCron(schedule, afterMs, horizonMs, dst.fold, dst.gap);
  // BOTH fires the union of the FIRST and LAST instants: the next of the
  // union is the earlier of each one's next.
  const first = searchCron(schedule, afterMs, horizonMs, "FIRST", dst.gap);
  const last = searchCron(schedule, afterMs, horizonMs, "LAST", dst.gap);
  if (first === undefined) return last;
  return last === undefined ? first : Math.min(first, last);
}

function searchCron(
  schedule: CronSchedule,
  afterMs: number,
  horizonMs: number | undefined,
  fold: "FIRST" | "LAST",
  gap: DstGapMode,
): number | undefined {
  const matcher = cronMatcher(schedule.source);
  const from = schedule.startMs !== undefined ? Math.max(afterMs, schedule.startMs - 1) : afterMs;
  const horizon = horizonMs ?? (matcher.lastYear === undefined ? CRON_SEARCH_MS : MAX_INSTANT_MS);
  const limit = Math.min(schedule.endMs ?? MAX_INSTANT_MS, MAX_INSTANT_MS, from + horizon);
  if (!(from < limit)) return undefined;
  const clock = zoneClock(schedule.timeZone);
  const wallLimit = limit + MAX_OFFSET_MS;
  const plain = fold === "FIRST" && gap === "SHIFT_FORWARD";
  let wall = fold === "LAST" ? clock.searchFromLast(from) : clock.searchFrom(from);
  for (;;) {
    const reading = matcher.next(wall, wallLimit);
    if (reading === undefined) return undefined;
    let run: number | undefined;
    if (plain) {
      run = clock.toInstant(reading);
    } else {
      const { instants, gap: hole } = clock.occurrences(reading);
      if (hole !== undefined) {
        run = gap === "SKIP" ? undefined : hole.end;
        // Every reading of the gap is skipped alike: search on from its end.
        if (run === undefined) {
          wall = hole.resume - 1;
          continue;
        }
      } else {
        run = fold === "LAST" ? instants.at(-1) : instants[0];
      }
    }
    if (run !== undefined && run > from) return run <= limit ? run : undefined;
    wall = reading;
  }
}
