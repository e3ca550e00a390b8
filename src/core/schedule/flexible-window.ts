/**
 * A schedule's flexible window (EventBridge Scheduler's FlexibleTimeWindow):
 * each run may start anywhere from its time until `flexibleWindowMs` after
 * it. What the window allows, and the checks of its input; where in the
 * window each run starts is the scheduler's choice (`window-spread.ts`).
 */

import { invalidArgument } from "../errors.js";
import type { Schedule } from "../job.js";
import { MINUTE_MS, SECOND_MS } from "./calendar.js";

/** The shortest window: below a second, spreading buys nothing over the send batching. */
export const MIN_FLEXIBLE_WINDOW_MS = SECOND_MS;
/**
 * The longest window. A claimed run waits in its scheduler's memory until
 * its planned start, so the window bounds how long a claim is held (and how
 * late a run of a node that died is sent by its successor's takeover).
 */
export const MAX_FLEXIBLE_WINDOW_MS = 15 * MINUTE_MS;

const FIELD = "schedule.flexible_window";

/**
 * The window of `schedule` checked: 1 s to 15 min, whole milliseconds, not
 * with jitter (both spread runs; two spreads on one run would make neither
 * predictable), and on a recurring schedule at most its period (the
 * shortest gap between two runs), so that a job's runs still start in
 * order: each one's window ends before the next run's time. `periodMs`:
 * that gap (`shortestGap`), undefined for a one-time schedule.
 */
export function parseFlexibleWindow(
  schedule: Schedule,
  windowMs: number,
  periodMs: number | undefined,
): number {
  if (!Number.isInteger(windowMs) || windowMs < 0) {
    throw invalidArgument(FIELD, "must be a whole, positive number of milliseconds");
  }
  if (windowMs < MIN_FLEXIBLE_WINDOW_MS || windowMs > MAX_FLEXIBLE_WINDOW_MS) {
    throw invalidArgument(FIELD, `must be between 1 s and 15 min, got ${windowMs} ms`);
  }
  if (schedule.jitterMs !== undefined && schedule.jitterMs > 0) {
    throw invalidArgument(
      FIELD,
      "cannot be combined with schedule.jitter: both spread the runs, give one",
    );
  }
  if (periodMs !== undefined && windowMs > periodMs) {
    throw invalidArgument(
      FIELD,
      `must be at most the schedule's period (${periodMs} ms), got ${windowMs} ms`,
    );
  }
  return windowMs;
}

/** The window of a schedule's runs, ms; 0 when it has none. */
export function windowOf(schedule: Pick<Schedule, "flexibleWindowMs">): number {
  return schedule.flexibleWindowMs ?? 0;
}

/** The latest instant a run due at `scheduledMs` may start (exclusive); the time itself without a window. */
export function windowEnd(
  schedule: Pick<Schedule, "flexibleWindowMs">,
  scheduledMs: number,
): number {
  return scheduledMs + windowOf(schedule);
}

/** `90 s`, `15 min`, `1 min 30 s`: a window as people write it. */
export function windowText(windowMs: number): string {
  const s = windowMs / SECOND_MS;
  if (s < 60 || !Number.isInteger(s)) return `${s} s`;
  const min = Math.floor(s / 60);
  return s % 60 === 0 ? `${min} min` : `${min} min ${s % 60} s`;
}

/** PreviewSchedule's and the fire ledger's note on a run with a window. */
export function windowNote(windowMs: number, endLocal: string): string {
  return `flexible window ${windowText(windowMs)}: starts at a time the scheduler picks before ${endLocal}, spread evenly with the other runs due at this time`;
}
