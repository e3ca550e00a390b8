/**
 * Pure schedule evaluation: schedule + instant -> next fire instants. Every
 * instant is UTC epoch ms; zones matter only for cron (see `zone.ts`).
 */

import type { Schedule } from "../job.js";
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
 * (gap -> first instant after it, repeat -> first occurrence). That mapping is
 * non-decreasing, so starting the search at `searchFrom(afterMs)` makes the
 * first match the answer; the loop only guards against the unexpected.
 * `horizonMs` bounds how far past `afterMs` to look.
 */
export function nextCronRun(
  schedule: CronSchedule,
  afterMs: number,
  horizonMs?: number,
): number | undefined {
  const matcher = cronMatcher(schedule.source);
  const from = schedule.startMs !== undefined ? Math.max(afterMs, schedule.startMs - 1) : afterMs;
  const horizon = horizonMs ?? (matcher.lastYear === undefined ? CRON_SEARCH_MS : MAX_INSTANT_MS);
  const limit = Math.min(schedule.endMs ?? MAX_INSTANT_MS, MAX_INSTANT_MS, from + horizon);
  if (!(from < limit)) return undefined;
  const clock = zoneClock(schedule.timeZone);
  const wallLimit = limit + MAX_OFFSET_MS;
  let wall = clock.searchFrom(from);
  for (;;) {
    const reading = matcher.next(wall, wallLimit);
    if (reading === undefined) return undefined;
    const run = clock.toInstant(reading);
    if (run > from) return run <= limit ? run : undefined;
    wall = reading;
  }
}
