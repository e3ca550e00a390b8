import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BackoffPolicy, backoffDelay } from "../../../src/core/backoff.js";
import { seededRandom } from "../../support/random.js";

/** Valid policies: integer ms, base ≤ max, factor ≥ 1, jitter 0..1. */
const policies = fc
  .record({
    baseMs: fc.integer({ min: 0, max: 100_000 }),
    extraMs: fc.integer({ min: 0, max: 1_000_000 }),
    factor: fc.double({ min: 1, max: 10, noNaN: true }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(
    ({ baseMs, extraMs, factor, jitter }): BackoffPolicy => ({
      baseMs,
      maxMs: baseMs + extraMs,
      factor,
      jitter,
    }),
  );
const retries = fc.integer({ min: 1, max: 5_000 });
/** A draw of Math.random: [0, 1). */
const draws = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("backoffDelay (properties)", () => {
  it("is a whole number of ms between 0 and the cap", () => {
    fc.assert(
      fc.property(policies, retries, draws, (policy, retry, r) => {
        const delay = backoffDelay(policy, retry, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(policy.maxMs);
      }),
    );
  });

  it("without jitter starts at the base, never shrinks from one retry to the next, and stays at the cap once there", () => {
    fc.assert(
      fc.property(policies, retries, (policy, retry) => {
        const exact = { ...policy, jitter: 0 };
        expect(backoffDelay(exact, 1, () => 0.5)).toBe(policy.baseMs);
        const now = backoffDelay(exact, retry, () => 0.5);
        const next = backoffDelay(exact, retry + 1, () => 0.5);
        expect(next).toBeGreaterThanOrEqual(now);
        if (now === policy.maxMs) expect(next).toBe(policy.maxMs);
      }),
    );
  });

  it("grows by the factor until the cap", () => {
    fc.assert(
      fc.property(policies, fc.integer({ min: 1, max: 30 }), (policy, retry) => {
        const exact = { ...policy, jitter: 0 };
        const nominal = Math.min(policy.maxMs, policy.baseMs * policy.factor! ** (retry - 1));
        expect(backoffDelay(exact, retry, () => 0)).toBe(Math.round(nominal));
      }),
    );
  });

  it("with jitter j falls within [(1−j)·nominal, nominal] and spans the range as random does", () => {
    fc.assert(
      fc.property(policies, retries, draws, (policy, retry, r) => {
        const nominal = backoffDelay({ ...policy, jitter: 0 }, retry);
        const delay = backoffDelay(policy, retry, () => r);
        const jitter = policy.jitter ?? 0;
        // ±1 for rounding.
        expect(delay).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - jitter)) - 1);
        expect(delay).toBeLessThanOrEqual(nominal);
        expect(backoffDelay(policy, retry, () => 0)).toBe(nominal);
      }),
    );
  });

  it("is deterministic for a seeded random", () => {
    fc.assert(
      fc.property(policies, fc.integer(), (policy, seed) => {
        const run = () => {
          const random = seededRandom(seed);
          return [1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(policy, retry, random));
        };
        expect(run()).toEqual(run());
      }),
    );
  });
});

describe("backoffDelay (examples)", () => {
  it("doubles by default, capped", () => {
    const policy = { baseMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 100, 10_000].map((n) => backoffDelay(policy, n))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it("full jitter spans none to all of the delay; equal jitter its upper half", () => {
    const full = { baseMs: 800, maxMs: 800, jitter: 1 };
    expect(backoffDelay(full, 1, () => 0)).toBe(800);
    expect(backoffDelay(full, 1, () => 0.999)).toBe(1);
    const equal = { ...full, jitter: 0.5 };
    expect(backoffDelay(equal, 1, () => 0.5)).toBe(600);
    expect(backoffDelay(equal, 1, () => 0.999)).toBe(400);
  });

  it("a zero base stays zero however many retries", () => {
    expect(backoffDelay({ baseMs: 0, maxMs: 0 }, 10_000)).toBe(0);
  });

  it("refuses a policy that cannot hold: the field in a RangeError", () => {
    expect(() => backoffDelay({ baseMs: -1, maxMs: 10 }, 1)).toThrow(/baseMs/);
    expect(() => backoffDelay({ baseMs: 10, maxMs: 5 }, 1)).toThrow(/maxMs/);
    expect(() => backoffDelay({ baseMs: 1, maxMs: 5, factor: 0.5 }, 1)).toThrow(/factor/);
    expect(() => backoffDelay({ baseMs: 1, maxMs: 5, jitter: 2 }, 1)).toThrow(/jitter/);
    expect(() => backoffDelay({ baseMs: 1, maxMs: 5, jitter: Number.NaN }, 1)).toThrow(/jitter/);
  });
});
