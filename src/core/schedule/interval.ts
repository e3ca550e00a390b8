/**
 * Fixed-period schedules: `rate(5 minutes)` (AWS EventBridge form) or a plain
 * period (`90s`, `15m`, `1h30m`). Periods are exact durations in UTC, so DST
 * never shifts them: runs fall on `anchorMs + k * periodMs`.
 */

import { invalidArgument } from "../errors.js";
import type { Schedule } from "../job.js";
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "./calendar.js";

export type IntervalSchedule = Extract<Schedule, { kind: "interval" }>;

const FIELD = "schedule.interval";
export const MIN_PERIOD_MS = SECOND_MS;
export const MAX_PERIOD_MS = 365 * DAY_MS;
const MAX_INTERVAL_LENGTH = 64;
const SHAPE =
  "expected rate(N minutes|hours|days|seconds) or a period such as 90s, 15m, 2h, 1d, 1h30m";

const RATE_UNITS: Readonly<Record<string, number>> = {
  second: SECOND_MS,
  seconds: SECOND_MS,
  minute: MINUTE_MS,
  minutes: MINUTE_MS,
  hour: HOUR_MS,
  hours: HOUR_MS,
  day: DAY_MS,
  days: DAY_MS,
};

/** Plain-period units, largest first: a compound period must list them in this order. */
const PLAIN_UNITS = [
  ["d", DAY_MS],
  ["h", HOUR_MS],
  ["m", MINUTE_MS],
  ["s", SECOND_MS],
  ["ms", 1],
] as const;

/** The period of an interval source in ms; throws InvalidArgument on "schedule.interval". */
export function parsePeriod(source: string): number {
  if (source.length > MAX_INTERVAL_LENGTH) {
    throw invalidArgument(FIELD, `must be at most ${MAX_INTERVAL_LENGTH} characters`);
  }
  const text = source.trim();
  if (text === "") throw invalidArgument(FIELD, `must not be empty; ${SHAPE}`);
  const period = /^rate\(/i.test(text) ? parseRate(text) : parsePlain(text);
  if (period < MIN_PERIOD_MS) {
    throw invalidArgument(FIELD, `period must be at least 1 second, got "${text}"`);
  }
  if (period > MAX_PERIOD_MS) {
    throw invalidArgument(FIELD, `period must be at most 365 days, got "${text}"`);
  }
  return period;
}

function parseRate(text: string): number {
  const m = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/i.exec(text);
  if (!m) throw invalidArgument(FIELD, `${SHAPE}; got "${text}"`);
  const value = Number(m[1]);
  const unit = RATE_UNITS[(m[2] ?? "").toLowerCase()];
  if (unit === undefined) {
    throw invalidArgument(
      FIELD,
      `unknown unit "${m[2]}" in "${text}"; use seconds, minutes, hours or days`,
    );
  }
  if (value < 1) throw invalidArgument(FIELD, `the rate value must be at least 1, got "${text}"`);
  return value * unit;
}

function parsePlain(text: string): number {
  let total = 0;
  let consumed = 0;
  let previousRank = -1;
  for (const part of text.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
    if (part.index !== consumed) break;
    const rank = PLAIN_UNITS.findIndex(([unit]) => unit === part[2]);
    if (rank <= previousRank) {
      throw invalidArgument(
        FIELD,
        `units must go from largest to smallest, each once (d h m s ms); got "${text}"`,
      );
    }
    previousRank = rank;
    total += Number(part[1]) * (PLAIN_UNITS[rank]?.[1] ?? 0);
    consumed += part[0].length;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw invalidArgument(FIELD, `${SHAPE}; got "${text}"`);
  }
  return total;
}

/** First run strictly after `afterMs`, within start/end; undefined when there is none. */
export function nextIntervalRun(schedule: IntervalSchedule, afterMs: number): number | undefined {
  const { anchorMs, periodMs, startMs, endMs } = schedule;
  let k = afterMs < anchorMs ? 0 : Math.floor((afterMs - anchorMs) / periodMs) + 1;
  if (startMs !== undefined && anchorMs + k * periodMs < startMs) {
    k = Math.ceil((startMs - anchorMs) / periodMs);
  }
  const run = anchorMs + k * periodMs;
  return endMs !== undefined && run > endMs ? undefined : run;
}
