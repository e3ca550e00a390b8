/**
 * The pure parts of `bench scale`: the mix fires about the rate it is built
 * for at any count the bench runs, every item is a request the API takes,
 * and the idle window's edges fall in the quietest part of the backstops'
 * cycle.
 */

import { describe, expect, it } from "vitest";
import { quietestMiddle } from "../../../loadtest/scale/idle-window.js";
import {
  farCount,
  groupOf,
  mixRequest,
  planMix,
  TOP_OF_HOUR_ZONE,
  ZONES,
} from "../../../loadtest/scale/mix.js";
import {
  nextTopOfHour,
  placeOverTopOfHour,
  TOP_LEAD_MS,
  windowedFigures,
} from "../../../loadtest/scale/smoothing.js";
import { idleTiming } from "../../../loadtest/scale.js";

const times = {
  fireFromMs: Date.UTC(2027, 0, 1),
  farFromMs: Date.UTC(2027, 0, 3),
  url: "http://127.0.0.1:9/fire",
};

describe("the scale mix", () => {
  it.each([
    [1_000, 20, true],
    [1_000, 300, true],
    [10_000, 200, true],
    [100_000, 150, true],
    // The top-of-the-hour group alone fires 27.8/s on average at a million: a
    // rate this low (a store ceiling of 420 writes/s) is made without it.
    [1_000_000, 70, false],
    [1_000_000, 90, true],
    [1_000_000, 300, true],
  ])(
    "%i schedules at %i/s (smoothing group: %s): the rate within 1 per cent, every group present",
    (schedules, rate, topOfHour) => {
      const plan = planMix(schedules, rate, { topOfHour });
      expect(plan.groups.reduce((n, g) => n + g.count, 0)).toBe(schedules);
      expect(Math.abs(plan.expectedPerS - rate) / rate).toBeLessThan(0.01);
      for (const g of ["far", "hourly", "daily", "interval", "once_near"]) {
        expect(plan.groups.find((x) => x.group === g)!.count).toBeGreaterThan(0);
      }
      const top = plan.groups.find((x) => x.group === "top_of_hour")!.count;
      expect(top).toBe(topOfHour ? Math.min(100_000, schedules / 10) : 0);
    },
  );

  it("refuses a rate that too few schedules cannot make, or that too many pass", () => {
    expect(() => planMix(100, 500)).toThrow(/raise --schedules or lower --rate/);
    expect(() => planMix(10_000_000, 20)).toThrow(/raise --rate or lower --schedules/);
  });

  it("starts every recurring schedule at the fire window, with jitter, in the 20 zones", () => {
    const plan = planMix(10_000, 50);
    const zones = new Set<string>();
    for (let i = 0; i < plan.schedules; i += 7) {
      const req = mixRequest(plan, i, times);
      const { group } = groupOf(plan, i);
      const spec = req.schedule!;
      if (group === "far") {
        // A copy of another group's schedule, beginning two days ahead.
        const at = spec.kind?.case === "at" ? spec.kind.value : undefined;
        const begins = Number((spec.startTime ?? at)!.seconds) * 1000;
        expect(begins).toBeGreaterThanOrEqual(times.farFromMs);
        continue;
      }
      if (group === "once_near") {
        expect(spec.jitter).toBeUndefined();
        continue;
      }
      if (group === "top_of_hour") {
        // A window, not jitter: the API refuses both on one schedule.
        expect(spec.kind).toEqual({ case: "cron", value: "0 * * * *" });
        expect(spec.jitter).toBeUndefined();
        expect(Number(spec.flexibleWindow!.seconds)).toBe(60);
        expect(spec.timeZone).toBe(TOP_OF_HOUR_ZONE);
        continue;
      }
      expect(Number(spec.startTime!.seconds) * 1000).toBeGreaterThanOrEqual(times.fireFromMs);
      expect(Number(spec.jitter!.seconds) + spec.jitter!.nanos!).toBeGreaterThan(0);
      if (spec.timeZone) zones.add(spec.timeZone);
    }
    expect(zones).toEqual(new Set(ZONES));
  });
});

describe("the idle window", () => {
  it("lasts whole backstops and is placed on their common cycle", () => {
    expect(idleTiming({})).toEqual({ unitMs: 600_000, cycleMs: 60_000 });
    expect(
      idleTiming({ CHRONORING_POLL_BACKSTOP_MS: "5000", CHRONORING_SWEEP_BACKSTOP_MS: "10000" }),
    ).toEqual({ unitMs: 10_000, cycleMs: 5_000 });
  });

  it("puts its edges in the middle of the longest quiet stretch, around the cycle too", () => {
    expect(quietestMiddle([1_000, 1_200, 21_000], 60_000)).toBe(41_000);
    expect(quietestMiddle([10_000, 50_000], 60_000)).toBe(30_000);
    expect(quietestMiddle([55_000, 5_000, 6_000], 60_000)).toBe(30_500);
  });
});

describe("the top-of-the-hour group", () => {
  it("puts its zone in the request, and is left out on request", () => {
    const plan = planMix(10_000, 50);
    const i = plan.groups.find((g) => g.group === "top_of_hour")!.from;
    expect(mixRequest(plan, i, { ...times, topZone: "Asia/Kolkata" }).schedule!.timeZone).toBe(
      "Asia/Kolkata",
    );
    const without = planMix(10_000, 50, { topOfHour: false });
    expect(without.groups.find((g) => g.group === "top_of_hour")!.count).toBe(0);
    expect(without.perS.top_of_hour).toBe(0);
  });

  it("finds the next top of the hour in one of the zones: :00, :15 (Kathmandu) or :30 (Kolkata) UTC", () => {
    expect(nextTopOfHour(Date.UTC(2026, 11, 4, 15, 40))).toEqual({
      atMs: Date.UTC(2026, 11, 4, 16, 0),
      zone: TOP_OF_HOUR_ZONE,
    });
    expect(nextTopOfHour(Date.UTC(2026, 11, 4, 16, 0, 1))).toEqual({
      atMs: Date.UTC(2026, 11, 4, 16, 15),
      zone: "Asia/Kathmandu",
    });
    const half = nextTopOfHour(Date.UTC(2026, 11, 4, 16, 15, 1));
    expect(half.atMs).toBe(Date.UTC(2026, 11, 4, 16, 30));
    // Kolkata (+5:30), Adelaide (+10:30 in December) or St John's (−3:30): all :30 UTC.
    expect(["Asia/Kolkata", "Australia/Adelaide", "America/St_Johns"]).toContain(half.zone);
  });

  it("places the fire window so that the top of the hour falls just inside its measured part", () => {
    const placed = placeOverTopOfHour(Date.UTC(2026, 11, 4, 15, 59), 60_000);
    expect(placed.topAtMs).toBe(Date.UTC(2026, 11, 4, 16, 15));
    expect(placed.fireFromMs).toBe(placed.topAtMs - 60_000 - TOP_LEAD_MS);
    // Early enough: the next one.
    expect(placeOverTopOfHour(Date.UTC(2026, 11, 4, 15, 50), 60_000).topAtMs).toBe(
      Date.UTC(2026, 11, 4, 16, 0),
    );
  });

  it("counts the busiest second against the window's mean, and runs outside it", () => {
    const t = Date.UTC(2026, 11, 4, 16, 0);
    const expected = new Map<string, string>();
    const arrivals = new Map<string, number>();
    const planned = new Map<string, number>();
    // 590 runs, ten in each second of the 59 s planned part, 100 ms after their plan.
    for (let k = 0; k < 590; k++) {
      const run = `j${k}:${t}`;
      expected.set(run, "top_of_hour");
      planned.set(run, t + Math.floor(k / 10) * 1000);
      arrivals.set(run, planned.get(run)! + 100);
    }
    expected.set(`other:${t}`, "hourly");
    const even = windowedFigures({ expected, arrivals, planned, fireCeilingPerS: 100 })!;
    expect(even).toMatchObject({
      runs: 590,
      started: 590,
      max_starts_in_1s_over_mean: 1,
      all_within_window: true,
      window_rate_per_s: 10,
      window_rate_to_ceiling: 0.1,
      limited_by: "window",
    });
    expect(even.start_lateness_from_plan_ms.p99).toBe(100);
    // Twenty in one second, one run never started, one a second past the window.
    arrivals.set(`j0:${t}`, t + 5_500);
    arrivals.set(`j1:${t}`, t + 5_500);
    arrivals.delete(`j2:${t}`);
    arrivals.set(`j3:${t}`, t + 61_000);
    const bad = windowedFigures({ expected, arrivals, planned, fireCeilingPerS: null })!;
    expect(bad.busiest_second).toBe(12);
    expect(bad.all_within_window).toBe(false);
    expect(bad.outside_window).toBe(2);
    expect(bad.limited_by).toBe("store");
    expect(windowedFigures({ expected: new Map(), arrivals, planned, fireCeilingPerS: null })).toBe(
      null,
    );
  });
});

describe("the far group (the import's first part)", () => {
  it("is 3% of a large mix, and up to 2,000 (a fifth at most) of a small one", () => {
    expect([1_000, 10_000, 100_000, 1_000_000].map(farCount)).toEqual([200, 2_000, 3_000, 30_000]);
    expect(planMix(10_000, 20, { topOfHour: false }).groups[0]).toEqual({
      group: "far",
      from: 0,
      count: 2_000,
    });
  });
});
