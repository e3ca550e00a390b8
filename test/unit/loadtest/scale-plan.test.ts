/**
 * The pure parts of `bench scale`: the mix fires about the rate it is built
 * for at any count the bench runs, every item is a request the API takes,
 * and the idle window's edges fall in the quietest part of the backstops'
 * cycle.
 */

import { describe, expect, it } from "vitest";
import { quietestMiddle } from "../../../loadtest/scale/idle-window.js";
import { groupOf, mixRequest, planMix, ZONES } from "../../../loadtest/scale/mix.js";
import { idleTiming } from "../../../loadtest/scale.js";

const times = {
  fireFromMs: Date.UTC(2027, 0, 1),
  farFromMs: Date.UTC(2027, 0, 3),
  url: "http://127.0.0.1:9/fire",
};

describe("the scale mix", () => {
  it.each([
    [1_000, 20],
    [1_000, 300],
    [10_000, 200],
    [100_000, 150],
    [1_000_000, 70],
    [1_000_000, 300],
  ])("%i schedules fire within 1%% of %i/s, every group present", (schedules, rate) => {
    const plan = planMix(schedules, rate);
    expect(plan.groups.reduce((n, g) => n + g.count, 0)).toBe(schedules);
    expect(Math.abs(plan.expectedPerS - rate) / rate).toBeLessThan(0.01);
    for (const g of ["once_far", "hourly", "daily", "interval", "once_near"]) {
      expect(plan.groups.find((x) => x.group === g)!.count).toBeGreaterThan(0);
    }
  });

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
      if (group === "once_far" || group === "once_near") {
        expect(spec.jitter).toBeUndefined();
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
