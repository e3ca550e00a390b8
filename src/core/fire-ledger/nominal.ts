/**
 * The nominal fire times of a page of the ledger, and what the schedule's
 * own rules (DST policy, calendar, jitter) make of each before anything is
 * read from the store: the instant its run fires at, or why it never fires.
 *
 * Candidates come from the schedule with its DST policy widened to
 * {gap: SHIFT_FORWARD, fold: BOTH} (every reading that happened or was
 * skipped, each repeated one twice); each is then judged against the real
 * policy's runs, so that a dropped reading is listed with its reason.
 */

import type { Job, Schedule } from "../job.js";
import { dateOfDay, isExcludedDay, localDay, rollForward } from "../schedule/calendar-rules.js";
import { nextRunAfter, scheduleZone } from "../schedule/evaluate.js";
import { clockText, dstMove } from "../schedule/explain.js";
import { jitterOffset } from "../schedule/fire.js";
import { formatLocal } from "../schedule/format.js";
import { zoneClock } from "../schedule/zone.js";
import type { CalendarRules } from "../time-policy.js";
import type { FireOutcome } from "./types.js";

/** A nominal time judged by the schedule alone. */
export interface Nominal {
  nominalMs: number;
  local: string;
  /** When its run fires; absent when the schedule's rules drop it (`dropped`). */
  fireMs?: number;
  /** Set when the DST policy or the calendar drops it. */
  dropped?: Extract<FireOutcome, "DST_FOLDED" | "DST_SKIPPED" | "SKIPPED_CALENDAR">;
  /** It fires at the end of a spring-forward gap. */
  shifted?: boolean;
  notes: string[];
}

export interface NominalPage {
  nominals: Nominal[];
  /** The next nominal time in the range, when the page is full. */
  nextFromMs?: number;
}

const HOUR_MS = 3_600_000;

/** The schedule with every DST reading kept: gaps shifted, repeated readings twice. */
function widened(schedule: Schedule): Schedule {
  return schedule.kind === "cron"
    ? { ...schedule, dst: { gap: "SHIFT_FORWARD", fold: "BOTH" } }
    : schedule;
}

/** Up to `pageSize` nominal times of `job` in [fromMs, toMs), and what its schedule makes of each. */
export function nominalPage(
  job: Pick<Job, "id" | "schedule">,
  calendar: CalendarRules | undefined,
  fromMs: number,
  toMs: number,
  pageSize: number,
): NominalPage {
  const { schedule } = job;
  const wide = widened(schedule);
  const times: number[] = [];
  let t = nextRunAfter(wide, fromMs - 1);
  while (t !== undefined && t < toMs && times.length < pageSize) {
    times.push(t);
    t = nextRunAfter(wide, t);
  }
  const page: NominalPage = {
    nominals: judge(job, calendar, times),
  };
  if (t !== undefined && t < toMs) page.nextFromMs = t;
  return page;
}

function judge(
  job: Pick<Job, "id" | "schedule">,
  calendar: CalendarRules | undefined,
  times: number[],
): Nominal[] {
  const { schedule } = job;
  const zone = scheduleZone(schedule);
  const clock = zoneClock(zone);
  const real = realRuns(schedule, times);
  const rules = schedule.calendar !== undefined ? calendar : undefined;
  const jitter = schedule.jitterMs ?? 0;
  return times.map((t) => {
    const nominal: Nominal = { nominalMs: t, local: formatLocal(t, zone), notes: [] };
    if (schedule.kind === "cron") {
      const move = dstMove(schedule, t, clock);
      const reading = t + clock.offsetAt(t);
      const date = dateOfDay(Math.floor(reading / (24 * HOUR_MS)));
      if (!real.has(t)) {
        if (move.gapReading !== undefined) {
          nominal.dropped = "DST_SKIPPED";
          nominal.notes.push(
            `DST gap: ${clockText(move.gapReading)} does not exist on ${date} in ${zone}; skipped (dst gap SKIP)`,
          );
        } else {
          nominal.dropped = "DST_FOLDED";
          const fold = schedule.dst?.fold ?? "FIRST";
          nominal.notes.push(
            `repeated hour: ${clockText(reading)} occurs twice on ${date} in ${zone}; this ${move.repeated ?? "other"} occurrence does not fire (dst fold ${fold})`,
          );
        }
        return nominal;
      }
      if (
        move.gapReading !== undefined &&
        (schedule.dst?.gap ?? "SHIFT_FORWARD") === "SHIFT_FORWARD"
      ) {
        nominal.shifted = true;
        nominal.notes.push(
          `DST gap: ${clockText(move.gapReading)} does not exist on ${date} in ${zone}; fires at ${clockText(reading)}, the first instant after the gap`,
        );
      }
    }
    let base = t;
    if (rules !== undefined && isExcludedDay(rules, localDay(clock, t))) {
      const why = `${dateOfDay(localDay(clock, t))} is excluded by calendar "${rules.name}"`;
      const roll =
        schedule.calendar?.mode === "ROLL_FORWARD" ? rollForward(rules, clock, t) : undefined;
      if (roll === undefined) {
        nominal.dropped = "SKIPPED_CALENDAR";
        nominal.notes.push(`${why} (skipped)`);
        return nominal;
      }
      base = roll.at;
      nominal.notes.push(`calendar: rolled to ${formatLocal(base, zone)} (${why})`);
    }
    nominal.fireMs = jitter > 0 ? base + jitterOffset(job.id, base, jitter) : base;
    if (nominal.fireMs !== base) {
      nominal.notes.push(`jitter: +${nominal.fireMs - base} ms`);
    }
    return nominal;
  });
}

/** The runs the schedule's real DST policy gives over the span of `times`. */
function realRuns(schedule: Schedule, times: number[]): Set<number> {
  if (schedule.kind !== "cron") return new Set(times);
  const runs = new Set<number>();
  const last = times.at(-1);
  if (last === undefined) return runs;
  for (let t = nextRunAfter(schedule, times[0]! - 1); t !== undefined && t <= last; ) {
    runs.add(t);
    t = nextRunAfter(schedule, t);
  }
  return runs;
}
