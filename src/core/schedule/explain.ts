/**
 * PreviewSchedule's explanations: the next fire times with why each one
 * differs from the plain reading of the schedule (DST gap, repeated hour,
 * calendar roll, jitter, flexible window), and the times a calendar removed.
 */

import type { Schedule } from "../job.js";
import { HOUR_MS } from "./calendar.js";
import { dateOfDay, isExcludedDay, localDay, rollForward } from "./calendar-rules.js";
import { cronMatcher } from "./cron-cache.js";
import { nextRunAfter, scheduleZone } from "./evaluate.js";
import { type FireContext, jitterOffset, MAX_ROLL_STEPS, nextFire } from "./fire.js";
import { windowEnd, windowNote, windowOf } from "./flexible-window.js";
import { formatLocal } from "./format.js";
import { type ZoneClock, zoneClock } from "./zone.js";

/** At most this many removed times are listed (a per-second schedule over an excluded day has thousands). */
export const MAX_REMOVED = 100;

export interface ExplainedFire {
  utcMs: number;
  local: string;
  notes: string[];
  /** With a flexible window: the latest instant the run may start (exclusive). */
  windowEndMs?: number;
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
export function clockText(wall: number): string {
  const d = new Date(wall);
  const hm = d.toISOString().slice(11, 19);
  return hm.endsWith(":00") ? hm.slice(0, 5) : hm;
}

/** What the DST rules did to a cron fire at `run`: a gap's shift, a repeated reading's occurrence. */
export interface DstMove {
  /** The reading the cron matched, when it did not exist (the run is the gap's end). */
  gapReading?: number;
  /** The run's reading occurs twice that day: this run is its `first` or second occurrence. */
  repeated?: "first" | "second";
}

/** Also read by the fire ledger (`core/fire-ledger/`), to say which DST rule moved or dropped a time. */
export function dstMove(schedule: Schedule, run: number, clock: ZoneClock): DstMove {
  if (schedule.kind !== "cron") return {};
  const move: DstMove = {};
  const reading = run + clock.offsetAt(run);
  // The reading the cron matched: when it is not the reading shown at the
  // fire instant, it did not exist (spring-forward gap).
  const matched = cronMatcher(schedule.source).next(clock.searchFrom(run - 1), reading + 1);
  if (matched !== undefined && matched !== reading) move.gapReading = matched;
  for (const probe of [run - 3 * HOUR_MS, run + 3 * HOUR_MS]) {
    const other = clock.offsetAt(probe);
    const twin = reading - other;
    if (other !== clock.offsetAt(run) && twin !== run && clock.offsetAt(twin) === other) {
      move.repeated = twin > run ? "first" : "second";
    }
  }
  return move;
}

/** PreviewSchedule's DST notes for a fire at `run`, by the schedule's DST policy. */
function dstNotes(schedule: Schedule, run: number, clock: ZoneClock, move: DstMove): string[] {
  const notes: string[] = [];
  const reading = run + clock.offsetAt(run);
  const date = dateOfDay(Math.floor(reading / (24 * HOUR_MS)));
  if (move.gapReading !== undefined) {
    notes.push(
      `DST gap: ${clockText(move.gapReading)} does not exist on ${date} in ${clock.name}; fires at ${clockText(reading)}, the first instant after the gap`,
    );
  }
  if (move.repeated !== undefined) {
    const head = `repeated hour: ${clockText(reading)} occurs twice on ${date} in ${clock.name}`;
    const fold = schedule.dst?.fold ?? "FIRST";
    notes.push(
      fold === "BOTH"
        ? `${head}; fires at both occurrences, this is the ${move.repeated} (dst fold BOTH)`
        : `${head}; fires once, at the ${move.repeated} occurrence${fold === "LAST" ? " (dst fold LAST)" : ""}`,
    );
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
  // times kept, and the calendar's removals and rolls. Gap readings a SKIP
  // policy drops are walked too (shifted), to list them as removed.
  const skipsGaps = schedule.kind === "cron" && schedule.dst?.gap === "SKIP";
  const walked: Schedule =
    skipsGaps && schedule.dst
      ? { ...schedule, dst: { ...schedule.dst, gap: "SHIFT_FORWARD" } }
      : schedule;
  let run = nextRunAfter(walked, afterMs);
  for (let steps = 0; run !== undefined && run <= last && steps < MAX_ROLL_STEPS; steps++) {
    const excluded = rules !== undefined && isExcludedDay(rules, localDay(clock, run));
    const move = dstMove(schedule, run, clock);
    if (skipsGaps && move.gapReading !== undefined) {
      const date = dateOfDay(Math.floor(move.gapReading / (24 * HOUR_MS)));
      removed.push({
        utcMs: run,
        local: formatLocal(run, zone),
        reason: `DST gap: ${clockText(move.gapReading)} does not exist on ${date} in ${zone}; skipped (dst gap SKIP)`,
      });
    } else if (!excluded) {
      byBase.get(run)?.notes.unshift(...dstNotes(schedule, run, clock, move));
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
    run = nextRunAfter(walked, run);
  }
  const window = windowOf(schedule);
  for (const fire of fires) {
    fire.notes = [...new Set(fire.notes)];
    if (window > 0) {
      fire.windowEndMs = windowEnd(schedule, fire.utcMs);
      fire.notes.push(windowNote(window, formatLocal(fire.windowEndMs, zone)));
    }
  }
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
