/**
 * A start under a job's limits whose conditional write loses to another
 * worker's reads the counters again and decides again, at once (the winner
 * has written); after eight lost rounds it gives up and leaves the message
 * for redelivery. Stand-in counters on a fake clock.
 */
import { describe, expect, it } from "vitest";
import type { RunRef } from "../../../src/core/execution.js";
import type { LimitSnapshot, RunLimits } from "../../../src/core/ports/run-limits.js";
import { startUnderLimits } from "../../../src/worker/limited-start.js";
import { fakeClock } from "../../support/fake-clock.js";

const T0 = Date.UTC(2030, 0, 1);
const run: RunRef = {
  tenant: "t",
  jobId: "job_a",
  partition: 0,
  scheduledMs: T0,
  attempt: 1,
  manual: false,
};

/** Counters where another worker wins the first `lost` conditional writes. */
function contended(lost: number, running: string[] = []) {
  const reads: number[] = [];
  let seq = 0;
  const limits = {
    async read(): Promise<LimitSnapshot> {
      reads.push(seq);
      return { status: "ACTIVE", state: { running }, seq };
    },
    async start() {
      return seq++ < lost ? "conflict" : "started";
    },
    async wait() {
      return seq++ < lost ? "conflict" : "waiting";
    },
  } as unknown as RunLimits;
  return { limits, reads };
}

describe("startUnderLimits", () => {
  it("reads and decides again at once after each lost write", async () => {
    const clock = fakeClock(T0);
    const { limits, reads } = contended(3);
    const deps = { limits, clock, retryMs: 1_000, startTimeoutMs: 10_000 };
    const started = await startUnderLimits(
      deps,
      run,
      { overlap: "ALLOW", maxConcurrent: 2 },
      "w1",
      T0,
    );
    expect(started).toEqual({ kind: "started" });
    // Each round read what the last winner wrote; no time passed.
    expect(reads).toEqual([0, 1, 2, 3]);
    expect(clock.now()).toBe(T0);
  });

  it("writes a wait again the same way", async () => {
    const clock = fakeClock(T0);
    const { limits, reads } = contended(2, ["job_a:1:1"]);
    const deps = { limits, clock, retryMs: 1_000, startTimeoutMs: 10_000 };
    const waiting = await startUnderLimits(
      deps,
      run,
      { overlap: "ALLOW", maxConcurrent: 1 },
      "w1",
      T0,
    );
    expect(waiting).toMatchObject({ kind: "waiting", untilMs: T0 + 1_000 });
    expect(reads).toHaveLength(3);
  });

  it("gives up after eight lost rounds, leaving the run for redelivery", async () => {
    const clock = fakeClock(T0);
    const { limits, reads } = contended(100);
    const deps = { limits, clock, retryMs: 1_000, startTimeoutMs: 10_000 };
    await expect(
      startUnderLimits(deps, run, { overlap: "ALLOW", maxConcurrent: 2 }, "w1", T0),
    ).rejects.toThrow("job job_a: limit counters changed 8 times while starting");
    expect(reads).toHaveLength(8);
  });
});
