import { describe, expect, it } from "vitest";
import { createOverdueRuns } from "../../../src/scheduler/overdue-runs.js";

describe("overdue runs (the oldest claimed run not started)", () => {
  it("reports the oldest run over every partition until a sweep sees it started", () => {
    const runs = createOverdueRuns({ forgetAfterMs: 50_000 });
    expect(runs.oldestMs(1_000)).toBeUndefined();
    runs.overdue(1, "a:100", 100, 40_000);
    runs.overdue(2, "b:50", 50, 40_000);
    expect(runs.oldestMs(41_000)).toBe(50);
    runs.started(2, "b:50");
    expect(runs.oldestMs(42_000)).toBe(100);
    runs.started(1, "a:100");
    expect(runs.oldestMs(43_000)).toBeUndefined();
  });

  it("keeps a run the sweeps do not read for a while, and forgets it once it would have been read again", () => {
    const runs = createOverdueRuns({ forgetAfterMs: 50_000 });
    runs.overdue(1, "a:100", 100, 40_000);
    // Resent, its next deadline is a start timeout away: sweeps in between do not read it.
    expect(runs.oldestMs(90_000)).toBe(100);
    // Seen again, still not started: kept, from this sighting on.
    runs.overdue(1, "a:100", 100, 80_000);
    expect(runs.oldestMs(130_000)).toBe(100);
    // Never seen again (its job was deleted): forgotten.
    expect(runs.oldestMs(130_001)).toBeUndefined();
  });

  it("forgets the runs of a partition this node no longer sweeps", () => {
    const runs = createOverdueRuns({ forgetAfterMs: 50_000 });
    runs.overdue(1, "a:100", 100, 40_000);
    runs.overdue(3, "c:300", 300, 40_000);
    runs.forget(1);
    expect(runs.oldestMs(41_000)).toBe(300);
  });
});
