/**
 * Validation of a schedule's time policies (misfire, jitter, calendar, DST,
 * flexible window) as
 * the API hands them over. Every rejection is an InvalidArgument naming the
 * request field.
 */

import { invalidArgument } from "../errors.js";
import type { Schedule } from "../job.js";
import type {
  CalendarMode,
  DstFoldMode,
  DstGapMode,
  MisfireMode,
  MisfirePolicy,
  TimePolicies,
} from "../time-policy.js";
import { DAY_MS, HOUR_MS, SECOND_MS } from "./calendar.js";
import { validateCalendarName } from "./calendar-rules.js";
import { nextRunAfter } from "./evaluate.js";
import { parseFlexibleWindow } from "./flexible-window.js";

/** Policies as the codec converts them from proto: unset fields absent. */
export interface PolicyInput {
  misfire?: {
    mode?: MisfireMode;
    maxCatchUp?: number;
    windowMs?: number;
    thresholdMs?: number;
  };
  jitterMs?: number;
  calendar?: { name: string; mode?: CalendarMode };
  dst?: { gap?: DstGapMode; fold?: DstFoldMode };
  flexibleWindowMs?: number;
}

/** A run claimed later than this after its time counts as misfired (load alone rarely delays a run this long). */
export const DEFAULT_MISFIRE_THRESHOLD_MS = 60 * SECOND_MS;
export const DEFAULT_MAX_CATCH_UP = 10;
export const MAX_CATCH_UP = 1000;
export const DEFAULT_CATCH_UP_WINDOW_MS = HOUR_MS;
export const MAX_CATCH_UP_WINDOW_MS = 7 * DAY_MS;

/** The policy of a schedule without one: FIRE_ONCE (a late one-time run still fires). */
export const DEFAULT_MISFIRE: MisfirePolicy = {
  mode: "FIRE_ONCE",
  maxCatchUp: DEFAULT_MAX_CATCH_UP,
  windowMs: DEFAULT_CATCH_UP_WINDOW_MS,
  thresholdMs: DEFAULT_MISFIRE_THRESHOLD_MS,
};

/** How many upcoming runs are looked at to find a cron's shortest gap (jitter must be shorter). */
const GAP_SAMPLE = 500;

/** `schedule` with the validated policies of `input` added. */
export function withPolicies(schedule: Schedule, input: PolicyInput, nowMs: number): Schedule {
  const policies: TimePolicies = {};
  if (input.misfire !== undefined) policies.misfire = parseMisfire(input.misfire);
  if (input.calendar !== undefined) {
    if (schedule.kind === "once") {
      throw invalidArgument("schedule.calendar", "applies only to interval and cron schedules");
    }
    validateCalendarName(input.calendar.name, "schedule.calendar.name");
    policies.calendar = { name: input.calendar.name, mode: input.calendar.mode ?? "SKIP" };
  }
  if (input.dst !== undefined) {
    if (schedule.kind !== "cron") {
      throw invalidArgument(
        "schedule.dst",
        "applies only to cron schedules (interval and one-time runs are UTC instants that DST never moves)",
      );
    }
    const dst = { gap: input.dst.gap ?? "SHIFT_FORWARD", fold: input.dst.fold ?? "FIRST" } as const;
    // The defaults are stored as no policy, so that a schedule reads the same either way.
    if (dst.gap !== "SHIFT_FORWARD" || dst.fold !== "FIRST") policies.dst = dst;
  }
  // Jitter is checked against the runs the DST policy gives (BOTH adds runs).
  if (input.jitterMs !== undefined && input.jitterMs !== 0) {
    policies.jitterMs = parseJitter({ ...schedule, ...policies }, input.jitterMs, nowMs);
  }
  // After jitter: the window refuses to be combined with it.
  if (input.flexibleWindowMs !== undefined && input.flexibleWindowMs !== 0) {
    const withOthers = { ...schedule, ...policies };
    const period = schedule.kind === "once" ? undefined : shortestGap(withOthers, nowMs);
    policies.flexibleWindowMs = parseFlexibleWindow(withOthers, input.flexibleWindowMs, period);
  }
  return { ...schedule, ...policies };
}

function parseMisfire(input: NonNullable<PolicyInput["misfire"]>): MisfirePolicy {
  const mode = input.mode ?? "FIRE_ONCE";
  const policy: MisfirePolicy = { ...DEFAULT_MISFIRE, mode };
  if (input.thresholdMs !== undefined && input.thresholdMs !== 0) {
    if (input.thresholdMs < SECOND_MS || input.thresholdMs > DAY_MS) {
      throw invalidArgument("schedule.misfire.threshold", "must be between 1 s and 1 day");
    }
    policy.thresholdMs = input.thresholdMs;
  }
  const allOnly = (field: string) =>
    invalidArgument(`schedule.misfire.${field}`, "applies only to mode FIRE_ALL");
  if (input.maxCatchUp !== undefined && input.maxCatchUp !== 0) {
    if (mode !== "FIRE_ALL") throw allOnly("max_catch_up");
    if (input.maxCatchUp > MAX_CATCH_UP) {
      throw invalidArgument("schedule.misfire.max_catch_up", `must be at most ${MAX_CATCH_UP}`);
    }
    policy.maxCatchUp = input.maxCatchUp;
  }
  if (input.windowMs !== undefined && input.windowMs !== 0) {
    if (mode !== "FIRE_ALL") throw allOnly("window");
    if (input.windowMs > MAX_CATCH_UP_WINDOW_MS) {
      throw invalidArgument("schedule.misfire.window", "must be at most 7 days");
    }
    policy.windowMs = input.windowMs;
  }
  return policy;
}

function parseJitter(schedule: Schedule, jitterMs: number, nowMs: number): number {
  if (schedule.kind === "once") {
    throw invalidArgument("schedule.jitter", "applies only to interval and cron schedules");
  }
  if (!Number.isInteger(jitterMs) || jitterMs < 0) {
    throw invalidArgument("schedule.jitter", "must be a whole, positive number of milliseconds");
  }
  const period = shortestGap(schedule, nowMs);
  if (period !== undefined && jitterMs >= period) {
    throw invalidArgument(
      "schedule.jitter",
      `must be shorter than the schedule's period (${period} ms), got ${jitterMs} ms`,
    );
  }
  return jitterMs;
}

/**
 * Gaps already sampled, by the schedule and its first run from the time asked
 * (which decide the sample). An import's items share a few schedules, each
 * with jitter, and a sample is GAP_SAMPLE evaluations: measured 0.20–0.28 ms
 * an item for an hourly or daily cron in a zone, 49% of the API's busy CPU
 * through a million-schedule import of bench scale's mix (loadtest/README.md).
 */
const gapMemo = new Map<string, number | undefined>();
const GAP_MEMO_SIZE = 4096;

/**
 * The period of an interval, or the shortest gap between a cron's next
 * GAP_SAMPLE runs (DST and irregular patterns included): jitter at least this
 * long could reorder runs.
 */
export function shortestGap(schedule: Schedule, nowMs: number): number | undefined {
  if (schedule.kind === "interval") return schedule.periodMs;
  const first = nextRunAfter(schedule, nowMs - 1);
  if (first === undefined) return undefined;
  const key = `${first} ${JSON.stringify(schedule)}`;
  if (gapMemo.has(key)) return gapMemo.get(key);
  const gap = sampleGap(schedule, first);
  if (gapMemo.size >= GAP_MEMO_SIZE) gapMemo.delete(gapMemo.keys().next().value!);
  gapMemo.set(key, gap);
  return gap;
}

/** The shortest gap between the GAP_SAMPLE runs after `first`. */
function sampleGap(schedule: Schedule, first: number): number | undefined {
  let shortest: number | undefined;
  let previous = first;
  for (let i = 0; i < GAP_SAMPLE; i++) {
    const next = nextRunAfter(schedule, previous);
    if (next === undefined) break;
    const gap = next - previous;
    if (shortest === undefined || gap < shortest) shortest = gap;
    previous = next;
  }
  return shortest;
}
