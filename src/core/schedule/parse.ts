/**
 * Validation and normalisation of a schedule as the API hands it over. Every
 * rejection is an InvalidArgument naming the request field at fault.
 */

import { invalidArgument } from "../errors.js";
import type { Schedule } from "../job.js";
import { DAY_MS } from "./calendar.js";
import { cronMatcher } from "./cron-cache.js";
import { type CronSchedule, MAX_INSTANT_MS, nextCronRun } from "./evaluate.js";
import { type IntervalSchedule, nextIntervalRun, parsePeriod } from "./interval.js";
import { type PolicyInput, withPolicies } from "./policies.js";
import { canonicalZone } from "./zone.js";

/** What the API hands over, already converted from proto: all optional, exactly one of at/afterMs/interval/cron must be set. */
export interface ScheduleInput extends PolicyInput {
  at?: number;
  afterMs?: number;
  interval?: string;
  cron?: string;
  timeZone?: string;
  startMs?: number;
  endMs?: number;
}

export const MIN_INSTANT_MS = Date.UTC(2000, 0, 1);
/** Ten years, leap days included. */
export const MAX_AFTER_MS = 3653 * DAY_MS;
/** A cron must fire within this of its first possible run, or it is rejected as a likely mistake. */
export const CRON_MUST_FIRE_WITHIN_MS = 5 * 366 * DAY_MS;
const MAX_ZONE_LENGTH = 64;

const KINDS = [
  ["at", "at"],
  ["afterMs", "after"],
  ["interval", "interval"],
  ["cron", "cron"],
] as const;

/**
 * Validates and normalises. Throws InvalidArgument on "schedule" (none or
 * several kinds set), "schedule.at", "schedule.after", "schedule.interval",
 * "schedule.cron", "schedule.time_zone", "schedule.start_time" or
 * "schedule.end_time". `nowMs` anchors `afterMs` (once at nowMs + afterMs)
 * and intervals without a start (anchor = startMs ?? nowMs).
 */
export function parseSchedule(input: ScheduleInput, nowMs: number): Schedule {
  return withPolicies(parsePlainSchedule(input, nowMs), input, nowMs);
}

/** The schedule without its time policies (see `policies.ts`). */
function parsePlainSchedule(input: ScheduleInput, nowMs: number): Schedule {
  const set = KINDS.filter(([key]) => input[key] !== undefined);
  if (set.length !== 1) {
    const got =
      set.length === 0 ? "none is set" : `got ${set.map(([, name]) => name).join(" and ")}`;
    throw invalidArgument("schedule", `set exactly one of at, after, interval or cron; ${got}`);
  }
  const startMs = optionalInstant(input.startMs, "schedule.start_time");
  const endMs = optionalInstant(input.endMs, "schedule.end_time");
  if (endMs !== undefined && startMs !== undefined && endMs <= startMs) {
    throw invalidArgument("schedule.end_time", "must be after start_time");
  }
  if (endMs !== undefined && endMs <= nowMs) {
    throw invalidArgument("schedule.end_time", "must be in the future");
  }
  const window = {
    ...(startMs !== undefined && { startMs }),
    ...(endMs !== undefined && { endMs }),
  };

  if (input.cron !== undefined) return parseCronSchedule(input.cron, input.timeZone, window, nowMs);

  if (input.timeZone !== undefined && input.timeZone !== "" && input.timeZone !== "UTC") {
    throw invalidArgument(
      "schedule.time_zone",
      "applies only to cron schedules (intervals run in UTC)",
    );
  }
  if (input.interval !== undefined) {
    const schedule: IntervalSchedule = {
      kind: "interval",
      source: input.interval.trim(),
      periodMs: parsePeriod(input.interval),
      anchorMs: startMs ?? nowMs,
      ...window,
    };
    if (nextIntervalRun(schedule, nowMs - 1) === undefined) {
      throw invalidArgument("schedule.end_time", "no run falls between the start and end_time");
    }
    return schedule;
  }

  if (startMs !== undefined) {
    throw invalidArgument("schedule.start_time", "applies only to interval and cron schedules");
  }
  if (endMs !== undefined) {
    throw invalidArgument("schedule.end_time", "applies only to interval and cron schedules");
  }
  if (input.at !== undefined) return { kind: "once", at: instant(input.at, "schedule.at") };
  const afterMs = input.afterMs ?? 0;
  if (!Number.isInteger(afterMs)) {
    throw invalidArgument("schedule.after", "must be a whole number of milliseconds");
  }
  if (afterMs < 0 || afterMs > MAX_AFTER_MS) {
    throw invalidArgument("schedule.after", "must be between 0 and 10 years");
  }
  return { kind: "once", at: nowMs + afterMs };
}

function parseCronSchedule(
  cron: string,
  timeZone: string | undefined,
  window: { startMs?: number; endMs?: number },
  nowMs: number,
): CronSchedule {
  const zone = timeZone === undefined || timeZone === "" ? "UTC" : timeZone;
  const canonical = zone.length <= MAX_ZONE_LENGTH ? canonicalZone(zone) : undefined;
  if (canonical === undefined) {
    throw invalidArgument(
      "schedule.time_zone",
      `unknown time zone "${zone.slice(0, MAX_ZONE_LENGTH)}"; use an IANA name such as Europe/Berlin`,
    );
  }
  const source = cron.trim();
  cronMatcher(source);
  const schedule: CronSchedule = { kind: "cron", source, timeZone: canonical, ...window };
  const first = nextCronRun({ ...schedule, endMs: undefined }, nowMs - 1, CRON_MUST_FIRE_WITHIN_MS);
  if (first === undefined) {
    throw invalidArgument("schedule.cron", "never fires within the next 5 years");
  }
  if (window.endMs !== undefined && first > window.endMs) {
    throw invalidArgument("schedule.end_time", "no run falls between the start and end_time");
  }
  return schedule;
}

function optionalInstant(ms: number | undefined, field: string): number | undefined {
  return ms === undefined ? undefined : instant(ms, field);
}

function instant(ms: number, field: string): number {
  if (!Number.isInteger(ms)) throw invalidArgument(field, "must be a whole number of milliseconds");
  if (ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) {
    throw invalidArgument(
      field,
      "must be between 2000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z",
    );
  }
  return ms;
}
