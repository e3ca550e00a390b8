import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import type { ExecutionStore } from "../../../src/core/ports/execution-store.js";
import type { JobStore } from "../../../src/core/ports/job-store.js";
import type { WorkQueue } from "../../../src/core/ports/work-queue.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { createScheduler } from "../../../src/scheduler/scheduler.js";

/** A store or queue that must not be called: the node is not live. */
function untouchable<T>(): T {
  return new Proxy({} as object, {
    get: (_, name) => () => {
      throw new Error(`${String(name)} called while not live`);
    },
  }) as T;
}

describe("a scheduler that is not a live member", () => {
  it("waits a poll interval per partition instead of spinning on its past sweep time", async () => {
    let checks = 0;
    const scheduler = createScheduler({
      jobs: untouchable<JobStore>(),
      executions: untouchable<ExecutionStore>(),
      queue: untouchable<WorkQueue>(),
      clock: systemClock,
      logger: pino({ enabled: false }),
      metrics: createSchedulerMetrics(new Registry()),
      options: {
        lookaheadMs: 1000,
        pollIntervalMs: 200,
        batchSize: 10,
        startTimeoutMs: 5000,
        sweepIntervalMs: 100,
        recoveryHorizonMs: 60_000,
        concurrency: 4,
      },
      // A spinning loop never yields to timers: stop it by throwing out of its work.
      canClaim: () => {
        checks++;
        if (checks > 10_000) throw new Error("the loop is spinning");
        return false;
      },
    });
    scheduler.setPartitions([0, 1, 2, 3, 4, 5, 6, 7].map((partition) => ({ partition })));
    await new Promise((r) => setTimeout(r, 500));
    await scheduler.stop();
    // 8 partitions, one check each per 200 ms poll interval over 500 ms.
    expect(checks).toBeGreaterThan(0);
    expect(checks).toBeLessThanOrEqual(8 * 4);
  });
});
