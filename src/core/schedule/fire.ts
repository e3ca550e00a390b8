/**
 * Fire times with the time policies applied: a calendar (SKIP or
 * ROLL_FORWARD) over the plain schedule, then jitter. Pure: the calendar's
 * data is an argument, so the scheduler, the API and tests evaluate the same
 * rules. A schedule without jitter or calendar costs one branch more than
 * `nextRunAfter`.
 *
 * Sequence: nominal runs (`nextRunAfter`) → calendar (dropped, or rolled to
 * the same local time on the next included date) → base times → plus
 * `jitterOffset(job id, base)`. A stored next run is the fired (jittered)
 * instant; the next one is derived from it alone, so every node and restart
 * computes the same sequence.
 */

import { createHash } from "node:crypto";
import type { Schedule } from "../job.js";
import type { CalendarRules } from "../time-policy.js";
import { DAY_MS } from "./calendar.js";
import { isExcludedDay, localDay, MAX_ROLL_DAYS, rollForward } from "./calendar-rules.js";
import { nextRunAfter, scheduleZone } from "./evaluate.js";
import { type ZoneClock, zoneClock } from "./zone.js";

/** What evaluating a job's policies needs besides its schedule. */
export interface FireContext {
  /** Seeds the jitter; without it no jitter is applied (previews of a bare schedule). */
  jobId?: string;
  /** The data of `schedule.calendar`; absent: no date is excluded. */
  calendar?: CalendarRules;
}

/**
 * ROLL_FORWARD looks at most at this many nominal runs per decision: a
 * schedule firing more often than that across an excluded block (every
 * second over a weekend) rolls only its earliest runs of the block.
 */
export const MAX_ROLL_STEPS = 10_000;

/** Deterministic offset in [0, jitterMs) of one run, from the job id and the base time. */
export function jitterOffset(jobId: string, baseMs: number, jitterMs: number): number {
  const digest = createHash("sha256").update(`${jobId}:${baseMs}`).digest();
  // 48 bits: uniform enough for any jitter below the longest period (365 d).
  return digest.readUIntBE(0, 6) % jitterMs;
}

function activeCalendar(schedule: Schedule, ctx: FireContext): CalendarRules | undefined {
  return schedule.calendar !== undefined ? ctx.calendar : undefined;
}

/**
 * First fire strictly after `afterMs` with calendar and jitter applied;
 * undefined when none. `nominalFromMs`: ignore nominal runs before it (a run
 * due before the job existed, or while it was paused, does not roll forward
 * into its life).
 */
export function nextFire(
  schedule: Schedule,
  afterMs: number,
  ctx: FireContext,
  nominalFromMs?: number,
): number | undefined {
  const jitter = ctx.jobId !== undefined ? (schedule.jitterMs ?? 0) : 0;
  const rules = activeCalendar(schedule, ctx);
  if (jitter === 0 && rules === undefined) return nextRunAfter(schedule, afterMs);
  if (jitter === 0) return nextBase(schedule, afterMs, rules, nominalFromMs);
  // A base at or before afterMs - jitter fired before afterMs; later bases
  // fire in order because jitter is shorter than the period.
  let base = nextBase(schedule, afterMs - jitter, rules, nominalFromMs);
  while (base !== undefined) {
    const at = base + jitterOffset(ctx.jobId!, base, jitter);
    if (at > afterMs) return at;
    base = nextBase(schedule, base, rules, nominalFromMs);
  }
  return undefined;
}

/**
 * The first run of a new or resumed job: `at` for one-time jobs (even past),
 * else the first fire at or after `nowMs` of a nominal run at or after it.
 */
export function firstFire(schedule: Schedule, nowMs: number, ctx: FireContext): number | undefined {
  return schedule.kind === "once" ? schedule.at : nextFire(schedule, nowMs - 1, ctx, nowMs);
}

/** Next calendar-adjusted time (before jitter) strictly after `afterMs`. */
export function nextBase(
  schedule: Schedule,
  afterMs: number,
  rules: CalendarRules | undefined,
  nominalFromMs?: number,
): number | undefined {
  if (rules === undefined || schedule.calendar === undefined) {
    return nextRunAfter(schedule, afterMs);
  }
  const clock = zoneClock(scheduleZone(schedule));
  return schedule.calendar.mode === "SKIP"
    ? nextSkipping(schedule, afterMs, rules, clock)
    : nextRolled(schedule, afterMs, rules, clock, nominalFromMs);
}

/** Start of a local day as an instant (DST rules: a midnight in a gap maps to its end). */
function dayStart(clock: ZoneClock, day: number): number {
  return clock.toInstant(day * DAY_MS);
}

function nextSkipping(
  schedule: Schedule,
  afterMs: number,
  rules: CalendarRules,
  clock: ZoneClock,
): number | undefined {
  let run = nextRunAfter(schedule, afterMs);
  // Jump over whole excluded days rather than every run in them.
  for (let days = 0; run !== undefined && days <= MAX_ROLL_DAYS * 4; days++) {
    const day = localDay(clock, run);
    if (!isExcludedDay(rules, day)) return run;
    run = nextRunAfter(schedule, Math.max(run, dayStart(clock, day + 1) - 1));
  }
  return undefined;
}

/**
 * The earliest calendar-adjusted time after `afterMs`. Runs of an excluded
 * block just before afterMs's date roll onto that date and may still be
 * ahead, so the walk starts at the block's first day; it stops once a
 * nominal run is later than the best candidate (rolling only delays).
 */
function nextRolled(
  schedule: Schedule,
  afterMs: number,
  rules: CalendarRules,
  clock: ZoneClock,
  nominalFromMs = Number.NEGATIVE_INFINITY,
): number | undefined {
  const today = localDay(clock, afterMs);
  let first = today;
  while (today - first < MAX_ROLL_DAYS && isExcludedDay(rules, first - 1)) first--;
  const lookback =
    first < today || isExcludedDay(rules, today)
      ? Math.min(afterMs, dayStart(clock, first) - 1)
      : afterMs;
  const from = Math.max(lookback, nominalFromMs - 1);
  let best: number | undefined;
  let run = nextRunAfter(schedule, from);
  for (let steps = 0; run !== undefined && steps < MAX_ROLL_STEPS; steps++) {
    if (best !== undefined && run >= best) break;
    const at = adjustRolled(rules, clock, run);
    if (at !== undefined && at > afterMs && (best === undefined || at < best)) best = at;
    run = nextRunAfter(schedule, run);
  }
  return best;
}

function adjustRolled(rules: CalendarRules, clock: ZoneClock, run: number): number | undefined {
  if (!isExcludedDay(rules, localDay(clock, run))) return run;
  return rollForward(rules, clock, run)?.at;
}
