/**
 * The scheduler's loops back off a partition whose fence write failed, a due
 * sweep included (not-live.test.ts: the same while the node is not live). A
 * loop that picked it again at once would retry without pause, and with a
 * store that fails at once, spin on microtasks and starve the event loop.
 */

import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import type { ExecutionStore } from "../../../src/core/ports/execution-store.js";
import type { JobStore } from "../../../src/core/ports/job-store.js";
import type { WorkQueue } from "../../../src/core/ports/work-queue.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import {
  createScheduler,
  type OwnedPartition,
  type Scheduler,
} from "../../../src/scheduler/scheduler.js";

/** Any call but the ones given fails the test. */
const only = <T>(name: string, allowed: Record<string, unknown> = {}) =>
  new Proxy(allowed, {
    get: (target, key) =>
      key in target
        ? target[key as string]
        : () => {
            throw new Error(`${name}.${String(key)} called`);
          },
  }) as T;

/**
 * Two partitions (partition 0's first sweep due at once) for 200 ms; the test's
 * counter counts what it watches and stops the scheduler at 1,000 (a spin), so
 * that the test fails on the count instead of hanging.
 */
async function run(partitions: OwnedPartition[], jobs: JobStore): Promise<void> {
  const scheduler: Scheduler = createScheduler({
    jobs,
    executions: only<ExecutionStore>("executions"),
    queue: only<WorkQueue>("queue"),
    clock: systemClock,
    logger: pino({ level: "silent" }),
    metrics: createSchedulerMetrics(new Registry()),
    options: {
      lookaheadMs: 1_000,
      pollIntervalMs: 60_000,
      batchSize: 10,
      startTimeoutMs: 5_000,
      sweepIntervalMs: 1_000,
      recoveryHorizonMs: 60_000,
      concurrency: 2,
    },
  });
  stop = () => void scheduler.stop();
  scheduler.setPartitions(partitions);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await scheduler.stop();
}

let stop = () => {};
const counter = () => {
  const c = {
    n: 0,
    tick() {
      if (++c.n === 1_000) stop();
    },
  };
  return c;
};

describe("scheduler, fence write failing", () => {
  it("tries a failed fence write again after the retry delay, not at once", async () => {
    const fences = counter();
    const jobs = only<JobStore>("jobs", {
      fencePartition: async () => {
        fences.tick();
        throw new Error("store down");
      },
    });
    await run(
      [
        { partition: 0, epoch: 1 },
        { partition: 1, epoch: 1 },
      ],
      jobs,
    );
    expect(fences.n).toBe(2);
  });
});
