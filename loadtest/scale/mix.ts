import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { CreateJobRequestSchema } from "../../gen/chronoring/v1/job_service_pb.js";
import { round } from "../stats.js";

/**
 * Twenty IANA zones: whole-hour offsets on both sides of UTC, the half- and
 * three-quarter-hour ones (Kolkata, Adelaide, St John's, Kathmandu), and
 * daylight saving in both hemispheres.
 */
export const ZONES = [
  "UTC",
  "Europe/London",
  "Europe/Berlin",
  "Europe/Moscow",
  "Africa/Lagos",
  "Africa/Johannesburg",
  "Asia/Dubai",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Asia/Shanghai",
  "Asia/Tokyo",
  "Australia/Adelaide",
  "Australia/Sydney",
  "Pacific/Auckland",
  "America/St_Johns",
  "America/Sao_Paulo",
  "America/New_York",
  "America/Chicago",
  "America/Denver",
  "America/Los_Angeles",
] as const;

/**
 * The smoothing group (issue 13 §4): at a million schedules, 100,000
 * `0 * * * *` in one zone with a 60 s flexible window; at fewer, a tenth of
 * the schedules. The zone is the run's (`MixTimes.topZone`): the one whose
 * top of the hour comes first after the import (`scale/smoothing.ts`), so
 * that the fire window can be placed over it without waiting up to an hour.
 */
export const TOP_OF_HOUR = { count: 100_000, share: 0.1, windowMs: 60_000 } as const;
/** The group's zone when the run places none (`MixTimes.topZone` unset). */
export const TOP_OF_HOUR_ZONE = "Europe/Berlin";

/** The groups of the mix, in the order they are imported. */
export type Group = "far" | "hourly" | "daily" | "interval" | "once_near" | "top_of_hour";

/** How many schedules of each group, and what the mix fires on average. */
export interface MixPlan {
  schedules: number;
  targetPerS: number;
  /** Index ranges of the import stream: schedule i belongs to the group whose range holds it. */
  groups: Array<{ group: Group; from: number; count: number }>;
  /** Period of the interval slice, the one sized to make the target rate. */
  intervalPeriodS: number;
  /** Fires per second each group adds (once_near: over its first hour; top_of_hour: averaged). */
  perS: Record<Group, number>;
  expectedPerS: number;
}

/** Periods the interval slice may take, longest first: the longest whose slice fits is used. */
const PERIODS_S = [1800, 900, 600, 300, 120, 60, 30, 15, 10, 5, 2, 1];
const HOUR_S = 3600;
const DAY_S = 86_400;
/** Jitter of each recurring group (one-time runs may not have any). */
const JITTER_MS = { hourly: 60_000, daily: 300_000, intervalMax: 30_000 };
/**
 * From the mix's first nominal runs until it fires at its steady rate: a
 * group jittered by J ramps up over J. The hourly and interval groups, the
 * rate's bulk, are past it then; the daily ramp (5 minutes) is left, its
 * share of the rate is small (and every run is counted in what is expected).
 */
export const RAMP_MS = Math.max(JITTER_MS.hourly, JITTER_MS.intervalMax);

/**
 * The far group's size: 3% of the schedules, but at small counts up to 2,000
 * (at most a fifth): half of it warms the stack's processes, untimed, and the
 * other half times the import (`import-mix.ts`). At 10,000 schedules 3% was
 * 300, timed in well under a second: a run's first items went in at
 * 171–258/s against 670–1,305/s for the rest, and the fire window was planned
 * 40–60 s after the import's end.
 */
export function farCount(schedules: number): number {
  return Math.max(Math.round(0.03 * schedules), Math.min(2_000, Math.round(0.2 * schedules)));
}

/**
 * The mix for `schedules` firing `targetPerS` on average: `farCount` that begin two
 * days ahead (`far`: never due in the run; the import's first part, which
 * times the import), 2% one-time jobs over the first hour of the fire window, hourly
 * crons up to 45% of the rest but at most half the rate, an interval slice
 * (at most half the rest) whose period is the longest that makes up the
 * rate, and daily crons for the remainder; unless `topOfHour` is false, the
 * smoothing group (`TOP_OF_HOUR`) is taken out first, its average rate
 * (one run an hour each) counted in the target. Throws when no such mix exists
 * (too few schedules for the rate, or so many that hourly and daily alone
 * pass it).
 */
export function planMix(
  schedules: number,
  targetPerS: number,
  options: { topOfHour?: boolean } = {},
): MixPlan {
  const far = farCount(schedules);
  const near = Math.round(0.02 * schedules);
  const top =
    options.topOfHour === false
      ? 0
      : Math.min(TOP_OF_HOUR.count, Math.round(TOP_OF_HOUR.share * schedules));
  const rest = schedules - far - near - top;
  const hourly = Math.min(Math.round(0.45 * rest), Math.floor(0.5 * targetPerS * HOUR_S));
  // count / P + (rest - hourly - count) / DAY_S + fixed = target, solved for count.
  const fixed = (hourly + near + top) / HOUR_S + (rest - hourly) / DAY_S;
  const need = targetPerS - fixed;
  if (need <= 0) {
    throw new Error(
      `${schedules} schedules fire ${round(fixed, 2)}/s without the interval slice, over the target ${round(targetPerS, 2)}/s: raise --rate or lower --schedules`,
    );
  }
  const sized = PERIODS_S.map((p) => ({ p, count: Math.round(need / (1 / p - 1 / DAY_S)) })).find(
    ({ count }) => count >= 1 && count <= 0.5 * rest,
  );
  if (!sized) {
    throw new Error(
      `${schedules} schedules cannot fire ${round(targetPerS, 2)}/s (an interval slice of every second would need ${Math.round(need)} schedules, over half of them): raise --schedules or lower --rate`,
    );
  }
  const daily = rest - hourly - sized.count;
  const perS: Record<Group, number> = {
    far: 0,
    hourly: hourly / HOUR_S,
    daily: daily / DAY_S,
    interval: sized.count / sized.p,
    once_near: near / HOUR_S,
    top_of_hour: top / HOUR_S,
  };
  const counts: Array<[Group, number]> = [
    ["far", far],
    ["hourly", hourly],
    ["daily", daily],
    ["interval", sized.count],
    ["once_near", near],
    ["top_of_hour", top],
  ];
  let from = 0;
  const groups = counts.map(([group, count]) => {
    const range = { group, from, count };
    from += count;
    return range;
  });
  return {
    schedules,
    targetPerS,
    groups,
    intervalPeriodS: sized.p,
    perS: Object.fromEntries(Object.entries(perS).map(([g, v]) => [g, round(v, 3)])) as Record<
      Group,
      number
    >,
    expectedPerS: round(
      Object.values(perS).reduce((a, b) => a + b, 0),
      2,
    ),
  };
}

/** The group of schedule `i` and its position within the group. */
export function groupOf(plan: MixPlan, i: number): { group: Group; k: number; count: number } {
  for (const g of plan.groups) {
    if (i < g.from + g.count) return { group: g.group, k: i - g.from, count: g.count };
  }
  throw new RangeError(`schedule ${i} is beyond the mix of ${plan.schedules}`);
}

/** A deterministic 32-bit hash of (i, salt): the schedule's minute, hour and zone. */
function pick(i: number, salt: number, mod: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2d);
  return ((h ^ (h >>> 15)) >>> 0) % mod;
}

export type JobRequest = MessageInitShape<typeof CreateJobRequestSchema>;

/** Where the runs go and when: the fire window's start, and the far group's start. */
export interface MixTimes {
  /** No recurring run and no near one-time run before this instant. */
  fireFromMs: number;
  /** The far group's schedules begin here (copies of the rest's, with this as their fire window's start). */
  farFromMs: number;
  url: string;
  /** The smoothing group's zone (default `TOP_OF_HOUR_ZONE`). */
  topZone?: string;
}

/** The CreateJob request of schedule `i` of the mix. */
export function mixRequest(plan: MixPlan, i: number, times: MixTimes): JobRequest {
  const { group, k, count } = groupOf(plan, i);
  if (group === "far") {
    // A copy of a schedule of the rest, evenly sampled (so each group in its
    // share), that begins at farFromMs: it costs the import what the rest
    // does, so the import's first part times the rest's kinds. One-time jobs
    // alone went in at 2,220/s and the rest at about 900/s, and the fire
    // window planned on them began before the import ended.
    const rest = plan.schedules - count;
    const copy = mixRequest(plan, count + Math.floor((k * rest) / count), {
      ...times,
      fireFromMs: times.farFromMs,
    });
    return { ...copy, name: `scale-${i}`, owner: `team-${i % 100}`, tags: ["bench-scale", group] };
  }
  const start = timestampFromMs(times.fireFromMs);
  const zone = ZONES[pick(i, 1, ZONES.length)]!;
  const schedule = (() => {
    switch (group) {
      case "once_near":
        return {
          kind: {
            case: "at" as const,
            value: timestampFromMs(spread(times.fireFromMs, HOUR_S, k, count)),
          },
        };
      case "hourly":
        return {
          kind: { case: "cron" as const, value: `${pick(i, 2, 60)} * * * *` },
          timeZone: zone,
          startTime: start,
          jitter: durationFromMs(JITTER_MS.hourly),
        };
      case "daily":
        return {
          kind: { case: "cron" as const, value: `${pick(i, 2, 60)} ${pick(i, 3, 24)} * * *` },
          timeZone: zone,
          startTime: start,
          jitter: durationFromMs(JITTER_MS.daily),
        };
      case "interval":
        // Anchors spread over one period, as jobs created at different times are.
        return {
          kind: { case: "interval" as const, value: `${plan.intervalPeriodS}s` },
          startTime: timestampFromMs(spread(times.fireFromMs, plan.intervalPeriodS, k, count)),
          jitter: durationFromMs(
            Math.min(JITTER_MS.intervalMax, (plan.intervalPeriodS * 1000) / 2),
          ),
        };
      case "top_of_hour":
        // No jitter: the API refuses it beside a window (both spread the runs).
        return {
          kind: { case: "cron" as const, value: "0 * * * *" },
          timeZone: times.topZone ?? TOP_OF_HOUR_ZONE,
          startTime: start,
          flexibleWindow: durationFromMs(TOP_OF_HOUR.windowMs),
        };
    }
  })();
  return {
    name: `scale-${i}`,
    owner: `team-${i % 100}`,
    tags: ["bench-scale", group],
    schedule,
    target: { kind: { case: "http" as const, value: { method: "POST", url: times.url } } },
  };
}

/** The k-th of `count` instants spread evenly over `spanS` from `fromMs`. */
function spread(fromMs: number, spanS: number, k: number, count: number): number {
  return fromMs + Math.floor((k * spanS * 1000) / Math.max(count, 1));
}
