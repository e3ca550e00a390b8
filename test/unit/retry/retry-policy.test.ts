import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Backoff, RetryPolicySchema, RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { retryPolicyFromProto, retryPolicyToProto } from "../../../src/api/retry-codec.js";
import { ChronoringError } from "../../../src/core/errors.js";
import {
  decideRetry,
  RETRY_DELAY_LIMIT_MS,
  type RetryPolicy,
  retryDelayMs,
  retryPolicyFromInput,
} from "../../../src/core/retry-policy.js";
import { isRetryableStatus } from "../../../src/worker/handlers/http.js";
import { seededRandom } from "../../support/random.js";

const exp: RetryPolicy = retryPolicyFromInput({
  strategy: "ALWAYS",
  backoff: "EXPONENTIAL",
  retryDelayMs: 1000,
  maxDelayMs: 10_000,
});

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChronoringError && err.kind === "invalid_argument") return err.field;
    throw err;
  }
  return undefined;
}

describe("retry delays", () => {
  it("FIXED waits retry_delay before every retry", () => {
    const fixed = retryPolicyFromInput({ strategy: "ALWAYS", retryDelayMs: 2500 });
    expect([1, 2, 3, 10].map((n) => retryDelayMs(fixed, n, () => 0))).toEqual([
      2500, 2500, 2500, 2500,
    ]);
  });

  it("EXPONENTIAL doubles from retry_delay and stops at max_delay", () => {
    expect([1, 2, 3, 4, 5, 6, 1000].map((n) => retryDelayMs(exp, n, () => 0))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
  });

  it("jitter takes at most its fraction off the nominal delay, never above the cap", () => {
    const jittered = { ...exp, jitter: 0.3 };
    const random = seededRandom(42);
    for (let i = 0; i < 2000; i++) {
      const retry = 1 + (i % 8);
      const nominal = retryDelayMs(exp, retry, () => 0);
      const d = retryDelayMs(jittered, retry, random);
      expect(d).toBeGreaterThanOrEqual(Math.floor(nominal * 0.7));
      expect(d).toBeLessThanOrEqual(nominal);
    }
    // and it does spread: not every draw lands on the same value
    const draws = new Set(Array.from({ length: 50 }, () => retryDelayMs(jittered, 1, random)));
    expect(draws.size).toBeGreaterThan(10);
  });

  it("the same seed gives the same delays", () => {
    const jittered = { ...exp, jitter: 1 };
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let n = 1; n < 20; n++)
      expect(retryDelayMs(jittered, n, a)).toBe(retryDelayMs(jittered, n, b));
  });
});

describe("the retry decision", () => {
  const onFailure = retryPolicyFromInput({ strategy: "ON_FAILURE", maxRetries: 2 });
  const always = retryPolicyFromInput({ strategy: "ALWAYS", maxRetries: 2 });
  const r = () => 0.5;

  it("NONE or no policy: the failure stays FAILED, nothing dead", () => {
    expect(decideRetry(undefined, 1, true, r)).toEqual({ retry: false, dead: false });
    expect(decideRetry(retryPolicyFromInput({}), 1, true, r)).toEqual({
      retry: false,
      dead: false,
    });
  });

  it("retries while retries are left, then the run is dead", () => {
    expect(decideRetry(always, 1, true, r)).toEqual({ retry: true, delayMs: 1000 });
    expect(decideRetry(always, 2, true, r)).toEqual({ retry: true, delayMs: 1000 });
    expect(decideRetry(always, 3, true, r)).toMatchObject({ retry: false, dead: true });
  });

  it("ON_FAILURE stops at a permanent failure; ALWAYS retries it", () => {
    expect(decideRetry(onFailure, 1, false, r)).toMatchObject({
      retry: false,
      dead: true,
      reason: "permanent failure",
    });
    expect(decideRetry(always, 1, false, r)).toMatchObject({ retry: true });
  });

  it("max_retries 0: the first failure is dead", () => {
    const none = retryPolicyFromInput({ strategy: "ALWAYS", maxRetries: 0 });
    expect(decideRetry(none, 1, true, r)).toMatchObject({ retry: false, dead: true });
  });

  it("HTTP statuses: 5xx, 408, 425, 429 retryable; other 4xx permanent", () => {
    expect([500, 502, 503, 408, 425, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422, 301].some(isRetryableStatus)).toBe(false);
  });
});

describe("retry policy validation", () => {
  it("fills the defaults", () => {
    expect(retryPolicyFromInput({ strategy: "ON_FAILURE" })).toEqual({
      strategy: "ON_FAILURE",
      maxRetries: 3,
      backoff: "FIXED",
      retryDelayMs: 1000,
      maxDelayMs: RETRY_DELAY_LIMIT_MS,
      jitter: 0,
    });
  });

  it.each([
    [{ maxRetries: 101 }, "retry_policy.max_retries"],
    [{ maxRetries: -1 }, "retry_policy.max_retries"],
    [{ retryDelayMs: RETRY_DELAY_LIMIT_MS + 1 }, "retry_policy.retry_delay"],
    [{ maxDelayMs: RETRY_DELAY_LIMIT_MS + 1 }, "retry_policy.max_delay"],
    [{ retryDelayMs: 5000, maxDelayMs: 4000 }, "retry_policy.max_delay"],
    [{ jitter: 1.5 }, "retry_policy.jitter"],
    [{ jitter: -0.1 }, "retry_policy.jitter"],
    [{ jitter: Number.NaN }, "retry_policy.jitter"],
  ])("rejects %j naming %s", (input, field) => {
    expect(fieldOf(() => retryPolicyFromInput({ strategy: "ALWAYS", ...input }))).toBe(field);
  });

  it("converts from and to proto, defaults included, and rejects bad wire values", () => {
    const p = retryPolicyFromProto(
      create(RetryPolicySchema, {
        strategy: RetryStrategy.ON_FAILURE,
        backoff: Backoff.EXPONENTIAL,
        maxRetries: 5,
        retryDelay: { seconds: 2n, nanos: 0 },
        jitter: 0.25,
      }),
    );
    expect(p).toEqual({
      strategy: "ON_FAILURE",
      maxRetries: 5,
      backoff: "EXPONENTIAL",
      retryDelayMs: 2000,
      maxDelayMs: RETRY_DELAY_LIMIT_MS,
      jitter: 0.25,
    });
    expect(retryPolicyFromProto(retryPolicyToProto(p!))).toEqual(p);
    expect(retryPolicyFromProto(undefined)).toBeUndefined();
    expect(
      fieldOf(() =>
        retryPolicyFromProto(create(RetryPolicySchema, { strategy: 9 as RetryStrategy })),
      ),
    ).toBe("retry_policy.strategy");
    expect(
      fieldOf(() => retryPolicyFromProto(create(RetryPolicySchema, { backoff: 9 as Backoff }))),
    ).toBe("retry_policy.backoff");
    expect(
      fieldOf(() =>
        retryPolicyFromProto(create(RetryPolicySchema, { retryDelay: { seconds: -1n, nanos: 0 } })),
      ),
    ).toBe("retry_policy.retry_delay");
  });
});
