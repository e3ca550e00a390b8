import { describe, expect, it } from "vitest";
import type { JobLimits } from "../../../src/core/job.js";
import {
  concurrencyCap,
  decideStart,
  normalizeLimits,
  validateLimits,
} from "../../../src/core/limits.js";

const ME = "job_me:1000:1";
const A = "job_a:0:1";
const B = "job_b:0:1";

describe("decideStart: the rule a worker applies before starting a run of a limited job", () => {
  it("caps ALLOW at max_concurrent and makes the over-cap run wait, not drop", () => {
    const limits: JobLimits = { overlap: "ALLOW", maxConcurrent: 2 };
    expect(decideStart(limits, { running: [A] }, ME, 5000, 1000)).toEqual({ kind: "start" });
    expect(decideStart(limits, { running: [A, B] }, ME, 5000, 1000)).toMatchObject({
      kind: "wait",
      untilMs: 6000,
      buffer: false,
    });
  });

  it("does not count the run itself (a redelivery while it runs)", () => {
    const limits: JobLimits = { overlap: "SKIP" };
    expect(decideStart(limits, { running: [ME] }, ME, 0, 1000)).toEqual({ kind: "start" });
  });

  it("SKIP drops a run that overlaps, and only then", () => {
    const limits: JobLimits = { overlap: "SKIP" };
    expect(decideStart(limits, { running: [] }, ME, 0, 1000).kind).toBe("start");
    expect(decideStart(limits, { running: [A] }, ME, 0, 1000).kind).toBe("skip");
  });

  it("BUFFER_ONE keeps one waiting run and drops a third", () => {
    const limits: JobLimits = { overlap: "BUFFER_ONE" };
    expect(decideStart(limits, { running: [A] }, ME, 0, 1000)).toMatchObject({
      kind: "wait",
      buffer: true,
    });
    expect(decideStart(limits, { running: [A], buffered: ME }, ME, 0, 1000)).toMatchObject({
      kind: "wait",
      buffer: true,
    });
    expect(decideStart(limits, { running: [A], buffered: B }, ME, 0, 1000).kind).toBe("skip");
    // The waiting run goes first even when the slot is free now.
    expect(decideStart(limits, { running: [], buffered: B }, ME, 0, 1000).kind).toBe("skip");
    expect(decideStart(limits, { running: [], buffered: ME }, ME, 0, 1000).kind).toBe("start");
  });

  it("CANCEL_PREVIOUS names the runs to stop and waits for them", () => {
    const limits: JobLimits = { overlap: "CANCEL_PREVIOUS" };
    expect(decideStart(limits, { running: [A] }, ME, 100, 500)).toEqual({
      kind: "cancel_previous",
      ids: [A],
      untilMs: 600,
      reason: expect.stringContaining("CANCEL_PREVIOUS"),
    });
  });

  it("counts starts per fixed window and makes the run over the rate wait for the next window", () => {
    const limits: JobLimits = { overlap: "ALLOW", rateLimit: { maxRuns: 2, windowMs: 10_000 } };
    expect(decideStart(limits, { running: [] }, ME, 12_000, 1000)).toEqual({
      kind: "start",
      rateWindow: 1,
      rateCount: 1,
    });
    expect(
      decideStart(limits, { running: [], rateWindow: 1, rateCount: 1 }, ME, 15_000, 1000),
    ).toEqual({ kind: "start", rateWindow: 1, rateCount: 2 });
    expect(
      decideStart(limits, { running: [], rateWindow: 1, rateCount: 2 }, ME, 19_999, 1000),
    ).toMatchObject({ kind: "wait", untilMs: 20_000 });
    // A new window starts the count again.
    expect(
      decideStart(limits, { running: [], rateWindow: 1, rateCount: 2 }, ME, 20_000, 1000),
    ).toEqual({ kind: "start", rateWindow: 2, rateCount: 1 });
  });

  it("drops a run by overlap before it looks at the rate", () => {
    const limits: JobLimits = { overlap: "SKIP", rateLimit: { maxRuns: 1, windowMs: 1000 } };
    const state = { running: [A], rateWindow: 0, rateCount: 1 };
    expect(decideStart(limits, state, ME, 10, 1000).kind).toBe("skip");
  });

  it("any policy but ALLOW runs one at a time", () => {
    expect(concurrencyCap({ overlap: "ALLOW" })).toBe(Number.POSITIVE_INFINITY);
    expect(concurrencyCap({ overlap: "ALLOW", maxConcurrent: 3 })).toBe(3);
    expect(concurrencyCap({ overlap: "SKIP", maxConcurrent: 3 })).toBe(1);
  });
});

describe("validateLimits and normalizeLimits", () => {
  it.each([
    [{ overlap: "ALLOW", maxConcurrent: 1001 }, "limits.max_concurrent"],
    [{ overlap: "ALLOW", maxConcurrent: -1 }, "limits.max_concurrent"],
    [{ overlap: "SOMETIMES" }, "limits.overlap"],
    [{ overlap: "ALLOW", rateLimit: { maxRuns: 0, windowMs: 1000 } }, "limits.rate_limit.max_runs"],
    [{ overlap: "ALLOW", rateLimit: { maxRuns: 1, windowMs: 999 } }, "limits.rate_limit.window"],
    [
      { overlap: "ALLOW", rateLimit: { maxRuns: 1, windowMs: 86_400_001 } },
      "limits.rate_limit.window",
    ],
  ])("%j is invalid_argument on %s", (limits, field) => {
    expect(() => validateLimits(limits as JobLimits)).toThrow(
      expect.objectContaining({ kind: "invalid_argument", field }),
    );
  });

  it("drops limits that limit nothing, so the job pays nothing for them", () => {
    expect(normalizeLimits({ overlap: "ALLOW" })).toBeUndefined();
    expect(normalizeLimits({ overlap: "ALLOW", maxConcurrent: 0 })).toBeUndefined();
    expect(normalizeLimits({ overlap: "SKIP" })).toEqual({ overlap: "SKIP" });
  });
});
