/**
 * PreviewSchedule's explanations: the next fire times with why each one
 * differs from the plain reading of the schedule (DST gap, repeated hour,
 * calendar roll, jitter), and the times a calendar removed.
 */

import type { Schedule } from "../job.js";
import { HOUR_MS } from "./calendar.js";
import { dateOfDay, isExcludedDay, localDay, rollForward } from "./calendar-rules.js";
import { cronMatcher } from "./cron-cache.js";
import { nextRunAfter, scheduleZone } from "./evaluate.js";
import { type FireContext, jitterOffset, MAX_ROLL_STEPS, nextFire } from "./fire.js";
import { formatLocal } from "./format.js";
import { type ZoneClock, zoneClock } from "./zone.js";

/** At most this many removed times are listed (a per-second schedule over an excluded day has thousands). */
export const MAX_REMOVED = 100;

export interface ExplainedFire {
  utcMs: number;
  local: string;
  notes: string[];
}

export interface RemovedFire {
  utcMs: number;
  local: string;
  reason: string;
}

export interface Explained {
  fires: ExplainedFire[];
  removed: RemovedFire[];
}

/** `HH:MM[:SS]` of a wall-clock reading. */
function clockText(wall: number): string {
  const d = new Date(wall);
  const hm = d.toISOString().slice(11, 19);
  return hm.endsWith(":00") ? hm.slice(0, 5) : hm;
}

/** DST notes for a cron fire at `run` (the plain schedule's instant). */
function dstNotes(schedule: Schedule, run: number, clock: ZoneClock): string[] {
  if (schedule.kind !== "cron") return [];
  const notes: string[] = [];
  const reading = run + clock.offsetAt(run);
  const date = dateOfDay(Math.floor(reading / (24 * HOUR_MS)));
  // The reading the cron matched: when it is not the reading shown at the
  // fire instant, it did not exist (spring-forward gap).
  const matched = cronMatcher(schedule.source).next(clock.searchFrom(run - 1), reading + 1);
  if (matched !== undefined && matched !== reading) {
    notes.push(
      `DST gap: ${clockText(matched)} does not exist on ${date} in ${clock.name}; fires at ${clockText(reading)}, the first instant after the gap`,
    );
  }
  for (const probe of [run - 3 * HOUR_MS, run + 3 * HOUR_MS]) {
    const other = clock.offsetAt(probe);
    const twin = reading - other;
    if (other !== clock.offsetAt(run) && twin !== run && clock.offsetAt(twin) === other) {
      notes.push(
        `repeated hour: ${clockText(reading)} occurs twice on ${date} in ${clock.name}; fires once, at the ${twin > run ? "first" : "second"} occurrence`,
      );
    }
  }
  return notes;
}

/**
 * Up to `count` fires strictly after `afterMs`, explained, and the nominal
 * times a calendar removed or moved up to the last fire shown.
 * `nominalFromMs` as for `nextFire` (a preview of a job created now).
 */
export function explainFires(
  schedule: Schedule,
  afterMs: number,
  count: number,
  ctx: FireContext,
  nominalFromMs?: number,
): Explained {
  const zone = scheduleZone(schedule);
  const clock = zoneClock(zone);
  const fires: ExplainedFire[] = [];
  let after = afterMs;
  while (fires.length < count) {
    const at = nextFire(schedule, after, ctx, nominalFromMs);
    if (at === undefined) break;
    fires.push({ utcMs: at, local: formatLocal(at, zone), notes: [] });
    after = at;
  }
  const removed: RemovedFire[] = [];
  const rules = schedule.calendar !== undefined ? ctx.calendar : undefined;
  const jitter = ctx.jobId !== undefined ? (schedule.jitterMs ?? 0) : 0;
  const byBase = new Map<number, ExplainedFire>();
  for (const fire of fires) {
    const base = jitter ? findBase(fire.utcMs, jitter, ctx.jobId!, schedule, ctx) : fire.utcMs;
    byBase.set(base, fire);
    if (jitter && base !== fire.utcMs) {
      fire.notes.push(`jitter: +${fire.utcMs - base} ms after ${formatLocal(base, zone)}`);
    }
  }
  const last = fires.at(-1)?.utcMs ?? Number.POSITIVE_INFINITY;
  // Walk the plain schedule over the shown range: note DST moves on the
  // times kept, and the calendar's removals and rolls.
  let run = nextRunAfter(schedule, afterMs);
  for (let steps = 0; run !== undefined && run <= last && steps < MAX_ROLL_STEPS; steps++) {
    const excluded = rules !== undefined && isExcludedDay(rules, localDay(clock, run));
    if (!excluded) {
      byBase.get(run)?.notes.unshift(...dstNotes(schedule, run, clock));
    } else {
      const date = dateOfDay(localDay(clock, run));
      const why = `${date} is excluded by calendar "${rules.name}"`;
      const roll =
        schedule.calendar?.mode === "ROLL_FORWARD" ? rollForward(rules, clock, run) : undefined;
      if (roll === undefined) {
        removed.push({ utcMs: run, local: formatLocal(run, zone), reason: `${why} (skipped)` });
      } else {
        const to = formatLocal(roll.at, zone);
        removed.push({
          utcMs: run,
          local: formatLocal(run, zone),
          reason: `${why}; rolled to ${to}`,
        });
        const fire = byBase.get(roll.at);
        if (fire) {
          fire.notes.push(`calendar: rolled from ${formatLocal(run, zone)} (${why})`);
          if (roll.gap) {
            fire.notes.push(
              `DST gap: ${clockText(run + clock.offsetAt(run))} does not exist on ${dateOfDay(roll.toDay)} in ${zone}; fires at the first instant after the gap`,
            );
          }
        }
      }
    }
    run = nextRunAfter(schedule, run);
  }
  for (const fire of fires) fire.notes = [...new Set(fire.notes)];
  return { fires, removed: removed.slice(0, MAX_REMOVED) };
}

/** The base (pre-jitter) time of a jittered fire. */
function findBase(
  at: number,
  jitter: number,
  jobId: string,
  schedule: Schedule,
  ctx: FireContext,
): number {
  const plain = { calendar: ctx.calendar } as FireContext;
  let base = nextFire(schedule, at - jitter, plain);
  while (base !== undefined && base <= at) {
    if (base + jitterOffset(jobId, base, jitter) === at) return base;
    base = nextFire(schedule, base, plain);
  }
  return at;
}
