import { startMargin } from "../../src/core/window-spread.js";
import { round, summary } from "../stats.js";
import type { ExpectedRuns } from "./expected.js";
import { TOP_OF_HOUR, TOP_OF_HOUR_ZONE, ZONES } from "./mix.js";

/**
 * The smoothing group's figures (issue 13 §4): where the top-of-the-hour
 * group is placed in time, and what its starts look like. Pure: the run
 * (`run.ts`) and the burst without a window (`plain-burst.ts`) call it with
 * what the endpoint and the store saw.
 */

const QUARTER_HOUR_MS = 900_000;
/** From the measured window's start to the top of the hour: the claims, made up to the look-ahead ahead, fall inside it. */
export const TOP_LEAD_MS = 5_000;

const minuteFormats = new Map<string, Intl.DateTimeFormat>();

/** The minute of the hour at `ms` in `zone`. */
function localMinute(ms: number, zone: string): number {
  let format = minuteFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", { timeZone: zone, minute: "numeric" });
    minuteFormats.set(zone, format);
  }
  return Number(format.formatToParts(ms).find((p) => p.type === "minute")!.value);
}

/**
 * The first instant at or after `fromMs` that is the top of an hour in one
 * of the mix's zones, and that zone (`TOP_OF_HOUR_ZONE` preferred). Every
 * zone's offset is a multiple of 15 minutes, and the mix's include the
 * half- and three-quarter-hour ones, so the wait is under 30 minutes (the
 * tops of the hour fall on :00, :15 (Kathmandu) and :30 (Kolkata) UTC), not
 * up to an hour.
 */
export function nextTopOfHour(fromMs: number): { atMs: number; zone: string } {
  const zones = [TOP_OF_HOUR_ZONE, ...ZONES.filter((z) => z !== TOP_OF_HOUR_ZONE)];
  for (let t = Math.ceil(fromMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS; ; t += QUARTER_HOUR_MS) {
    const zone = zones.find((z) => localMinute(t, z) === 0 && new Date(t).getUTCSeconds() === 0);
    if (zone) return { atMs: t, zone };
  }
}

/**
 * The fire window's first run (F) placed so that the top of an hour falls
 * `TOP_LEAD_MS` into the measured window (which starts `rampMs` after F),
 * no earlier than `earliestMs`; the rest of the wait goes to the idle
 * window (more whole units of it).
 */
export function placeOverTopOfHour(earliestMs: number, rampMs: number) {
  const top = nextTopOfHour(earliestMs + rampMs + TOP_LEAD_MS);
  return { fireFromMs: top.atMs - rampMs - TOP_LEAD_MS, topZone: top.zone, topAtMs: top.atMs };
}

/** The most starts in one second from `fromMs` on. */
export function busiestSecond(starts: number[], fromMs: number): number {
  const counts = new Map<number, number>();
  for (const t of starts) {
    const i = Math.floor((t - fromMs) / 1000);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

/**
 * The top-of-the-hour group with its window, from the runs expected of it
 * (the nominal time with the most), their first arrivals at the endpoint
 * and their planned starts (the store's `plan_ms`). The mean is over the
 * part of the window starts are planned in (the window less its margin, as
 * `bench window` takes it); the busiest second counts every start, inside
 * the window or after it. Null when no top of the hour fell in the checked
 * window.
 */
export function windowedFigures(input: {
  expected: ExpectedRuns;
  arrivals: Map<string, number>;
  planned: Map<string, number>;
  /** A fire's share of the store's ceiling: the ceiling in writes ÷ 3; null when not measured. */
  fireCeilingPerS: number | null;
}) {
  const byTime = new Map<number, string[]>();
  for (const [run, group] of input.expected) {
    if (group !== "top_of_hour") continue;
    const at = Number(run.slice(run.lastIndexOf(":") + 1));
    byTime.set(at, [...(byTime.get(at) ?? []), run]);
  }
  const [topAtMs, runs] = [...byTime].sort((a, b) => b[1].length - a[1].length)[0] ?? [0, []];
  if (runs.length === 0) return null;
  const windowMs = TOP_OF_HOUR.windowMs;
  const spanS = (windowMs - startMargin(windowMs)) / 1000;
  const starts = runs.flatMap((r) => (input.arrivals.has(r) ? [input.arrivals.get(r)!] : []));
  const outside = starts.filter((s) => s < topAtMs || s >= topAtMs + windowMs).length;
  // A loop, not Math.max(...starts): 100,000 arguments overflow the stack.
  const drainMs = starts.length ? starts.reduce((a, b) => Math.max(a, b)) - topAtMs : 0;
  const askedPerS = runs.length / spanS;
  return {
    top_of_hour: new Date(topAtMs).toISOString(),
    runs: runs.length,
    started: starts.length,
    max_starts_in_1s_over_mean: round(busiestSecond(starts, topAtMs) / askedPerS, 3),
    busiest_second: busiestSecond(starts, topAtMs),
    all_within_window: outside === 0 && starts.length === runs.length,
    outside_window: outside + runs.length - starts.length,
    drain_s: round(drainMs / 1000, 2),
    start_lateness_from_plan_ms: summary(
      runs.flatMap((r) =>
        input.arrivals.has(r) && input.planned.has(r)
          ? [input.arrivals.get(r)! - input.planned.get(r)!]
          : [],
      ),
    ),
    /** The rate the window asks for (its runs over the planned part), and that ÷ the store's ceiling in fires. */
    window_rate_per_s: round(askedPerS, 1),
    window_rate_to_ceiling:
      input.fireCeilingPerS === null ? null : round(askedPerS / input.fireCeilingPerS, 2),
    /** What bounded the spread: the window (the starts fit in it) or the store (they drained past it). */
    limited_by: drainMs >= windowMs ? "store" : "window",
  };
}
