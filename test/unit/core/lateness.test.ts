import { describe, expect, it } from "vitest";
import { latenessOf, plannedStart } from "../../../src/core/execution.js";

const T = Date.UTC(2030, 0, 1, 12);

describe("latenessOf: how late a run is, the one rule every lateness figure counts by", () => {
  it("counts from the run's time", () => {
    expect(latenessOf({ scheduledMs: T }, T + 120)).toBe(120);
    expect(latenessOf({ scheduledMs: T }, T - 5)).toBe(-5);
  });
  it("counts from the planned start in a flexible window, not from the window's opening", () => {
    const run = { scheduledMs: T, plannedMs: T + 30_000 };
    expect(plannedStart(run)).toBe(T + 30_000);
    expect(latenessOf(run, T + 30_040)).toBe(40);
  });
  it("has none for a backfill's run: it is of a past time by design", () => {
    expect(latenessOf({ scheduledMs: T - 86_400_000, backfillId: "bf_1" }, T)).toBeUndefined();
  });
});
