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

/** What a cron reading inside a spring-forward gap does: fire at the gap's end (the default), or not at all. */
export type DstGapMode = "SHIFT_FORWARD" | "SKIP";
/** Which occurrences of a reading repeated by a fall-back fire: the first (the default), the last, or both. */
export type DstFoldMode = "FIRST" | "LAST" | "BOTH";

/** A cron schedule's DST choices; stored only when one differs from the default. */
export interface DstPolicy {
  gap: DstGapMode;
  fold: DstFoldMode;
}

/** Optional policies of a recurring (or, for misfire, any) schedule, stored with it. */
export interface TimePolicies {
  /** Absent: the defaults (FIRE_ONCE, 60 s threshold). */
  misfire?: MisfirePolicy;
  /** Deterministic delay in [0, jitterMs) per run; absent: none. */
  jitterMs?: number;
  calendar?: CalendarRef;
  /** Cron only; absent: SHIFT_FORWARD and FIRST. */
  dst?: DstPolicy;
  /**
   * A run may start up to this long after its time (see
   * `schedule/flexible-window.ts`); absent: it starts at its time.
   */
  flexibleWindowMs?: number;
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
