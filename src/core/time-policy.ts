/**
 * Time policies of a schedule (issue 4): what happens to runs missed while
 * nothing could fire them, jitter, and a shared calendar of excluded dates.
 * Kept beside `job.ts` (which composes them into `Schedule`) so that the
 * schedule evaluator and the store see them as plain data.
 */

export type MisfireMode = "SKIP" | "FIRE_ONCE" | "FIRE_ALL";

/** Normalised misfire policy: every field filled with its default. */
export interface MisfirePolicy {
  mode: MisfireMode;
  /** FIRE_ALL: at most this many runs, the most recent. */
  maxCatchUp: number;
  /** FIRE_ALL: runs older than now minus this are dropped. */
  windowMs: number;
  /** A run claimed more than this late counts as misfired. */
  thresholdMs: number;
}

export type CalendarMode = "SKIP" | "ROLL_FORWARD";

export interface CalendarRef {
  name: string;
  mode: CalendarMode;
}

/** Optional policies of a recurring (or, for misfire, any) schedule, stored with it. */
export interface TimePolicies {
  /** Absent: the defaults (FIRE_ONCE, 60 s threshold). */
  misfire?: MisfirePolicy;
  /** Deterministic delay in [0, jitterMs) per run; absent: none. */
  jitterMs?: number;
  calendar?: CalendarRef;
}

/** A named, shared calendar of excluded local dates. */
export interface Calendar {
  name: string;
  description: string;
  /** `YYYY-MM-DD`, sorted, unique. */
  excludedDates: string[];
  /** 0 = Sunday ... 6 = Saturday, sorted, unique. */
  excludedWeekdays: number[];
  version: number;
  createdMs: number;
  updatedMs: number;
}

/** The part of a calendar the evaluator needs. */
export type CalendarRules = Pick<Calendar, "name" | "excludedDates" | "excludedWeekdays">;
