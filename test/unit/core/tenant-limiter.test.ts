import { describe, expect, it } from "vitest";
import { createTenantLimiter, shareOf } from "../../../src/core/tenant-limiter.js";

const none = { maxFiresPerMinute: 0, maxConcurrentRuns: 0 };

describe("tenant limiter", () => {
  it("admits everything when the tenant has no fire-time quota", () => {
    const l = createTenantLimiter({ retryMs: 1000 });
    for (let i = 0; i < 1000; i++) expect(l.admit("a", none, 1, 0).kind).toBe("start");
  });

  it("holds a run over the concurrency share until one ends, other tenants unaffected", () => {
    const l = createTenantLimiter({ retryMs: 1000 });
    const q = { maxFiresPerMinute: 0, maxConcurrentRuns: 2 };
    expect(l.admit("a", q, 1, 0).kind).toBe("start");
    expect(l.admit("a", q, 1, 0).kind).toBe("start");
    expect(l.admit("a", q, 1, 5)).toEqual({ kind: "hold", reason: "concurrency", untilMs: 1005 });
    expect(l.admit("b", q, 1, 5).kind).toBe("start");
    l.release("a");
    expect(l.admit("a", q, 1, 10).kind).toBe("start");
    expect(l.running("a")).toBe(2);
  });

  it("splits a limit over the workers, never below one each", () => {
    expect(shareOf(10, 3)).toBe(3);
    expect(shareOf(10, 1)).toBe(10);
    expect(shareOf(2, 5)).toBe(1);
    expect(shareOf(10, 0)).toBe(10);
    const l = createTenantLimiter({ retryMs: 1000 });
    const q = { maxFiresPerMinute: 0, maxConcurrentRuns: 4 };
    expect(l.admit("a", q, 2, 0).kind).toBe("start");
    expect(l.admit("a", q, 2, 0).kind).toBe("start");
    expect(l.admit("a", q, 2, 0).kind).toBe("hold");
  });

  it("starts a minute's share at once, then holds runs spaced at the rate", () => {
    const l = createTenantLimiter({ retryMs: 1000 });
    const q = { maxFiresPerMinute: 60, maxConcurrentRuns: 0 };
    for (let i = 0; i < 60; i++) expect(l.admit("a", q, 1, 0).kind).toBe("start");
    // One token a second: the held runs are given 1 s, 2 s, 3 s.
    expect(l.admit("a", q, 1, 0)).toEqual({ kind: "hold", reason: "rate", untilMs: 1000 });
    expect(l.admit("a", q, 1, 0)).toEqual({ kind: "hold", reason: "rate", untilMs: 2000 });
    expect(l.admit("a", q, 1, 0)).toEqual({ kind: "hold", reason: "rate", untilMs: 3000 });
    // The first comes back at its time and finds its token.
    expect(l.admit("a", q, 1, 1000).kind).toBe("start");
    expect(l.admit("b", q, 1, 1000).kind).toBe("start");
  });

  it("never starts more than the rate over time", () => {
    const l = createTenantLimiter({ retryMs: 1000 });
    const q = { maxFiresPerMinute: 120, maxConcurrentRuns: 0 };
    let started = 0;
    for (let t = 0; t <= 5 * 60_000; t += 100) {
      for (let k = 0; k < 3; k++) if (l.admit("a", q, 1, t).kind === "start") started++;
    }
    // A full bucket (120) plus 2 a second for 300 s.
    expect(started).toBeLessThanOrEqual(120 + 600 + 1);
    expect(started).toBeGreaterThanOrEqual(120 + 600 - 1);
  });

  it("a release without an admission does not go below zero", () => {
    const l = createTenantLimiter({ retryMs: 1000 });
    l.release("a");
    expect(l.running("a")).toBe(0);
  });
});
