import { describe, expect, it } from "vitest";
import { waitAtStart } from "../../../src/core/execution.js";
import {
  concurrencyDelayMs,
  MAX_HOLD_DELAY_MS,
  resentWait,
  waitOf,
} from "../../../src/worker/tenant-hold.js";

describe("holding a run for its tenant's quotas", () => {
  it("doubles the re-send delay for concurrency with each re-send, up to 60 s", () => {
    expect([0, 1, 2, 3, 4].map((n) => concurrencyDelayMs(1000, n))).toEqual([
      1000, 2000, 4000, 8000, 16_000,
    ]);
    expect(concurrencyDelayMs(1000, 6)).toBe(MAX_HOLD_DELAY_MS);
    expect(concurrencyDelayMs(1000, 10_000)).toBe(MAX_HOLD_DELAY_MS);
  });

  it("keeps the first reason and time a run was held across re-sends, counting them", () => {
    const first = waitOf({}, "TENANT_CONCURRENCY", 5_000);
    expect(first).toEqual({ reason: "TENANT_CONCURRENCY", sinceMs: 5_000, resends: 0 });
    const again = resentWait(
      { wait: resentWait({ wait: first }, "TENANT_RATE", 9_000) },
      "JOB_LIMITS",
      12_000,
    );
    expect(again).toEqual({ reason: "TENANT_CONCURRENCY", sinceMs: 5_000, resends: 2 });
  });

  it("records at the start how long the run waited since it was first held", () => {
    expect(waitAtStart({ reason: "TENANT_RATE", sinceMs: 5_000, resends: 1 }, 7_500)).toEqual({
      reason: "TENANT_RATE",
      waitedMs: 2_500,
      resends: 1,
    });
    expect(waitAtStart(undefined, 7_500)).toBeUndefined();
  });
});
