/**
 * One worker on a fake clock over the memory adapters, for the unit tests of
 * the worker's timing (`test/unit/worker/*`): time moves only by
 * `clock.tick`.
 */

import pino from "pino";
import { Registry } from "prom-client";
import { createMemoryAdapters } from "../../src/adapters/memory/adapters.js";
import type { Clock } from "../../src/core/clock.js";
import { executionId, type RunRef } from "../../src/core/execution.js";
import type { Job, JobTarget } from "../../src/core/job.js";
import type { ExecutionStore } from "../../src/core/ports/execution-store.js";
import type { JobStore } from "../../src/core/ports/job-store.js";
import type { Delivery } from "../../src/core/ports/work-queue.js";
import type { HandlerResult, JobHandler } from "../../src/worker/handlers/handler.js";
import { createHandlerRegistry } from "../../src/worker/handlers/registry.js";
import { createWorkerMetrics } from "../../src/worker/metrics.js";
import { createRetryMetrics } from "../../src/worker/retry-metrics.js";
import { startWorker, type Worker } from "../../src/worker/worker.js";
import { type FakeClock, fakeClock } from "./fake-clock.js";
import { makeJob } from "./jobs.js";

export const T0 = Date.UTC(2030, 0, 1);
export const VISIBILITY_S = 30;
export const DRAIN_MS = 10_000;

export const cleanups: Array<() => Promise<void> | void> = [];

/** Stops what the last test's `setup` started: the test file's `afterEach`. */
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** A handler of `noop` runs that each test finishes by hand. */
export function heldHandler() {
  const calls: Array<{ executionId: string; signal: AbortSignal; finish(r: HandlerResult): void }> =
    [];
  const handler: JobHandler = {
    type: "noop",
    run: (_target, ctx) =>
      new Promise<HandlerResult>((resolve) => {
        calls.push({ executionId: ctx.executionId, signal: ctx.signal, finish: resolve });
        ctx.signal.addEventListener("abort", () =>
          resolve({ ok: false, summary: "aborted", retryable: true }),
        );
      }),
  };
  return { handler, calls };
}

/** One worker on a fake clock at T0 over the memory adapters. */
export function setup(
  handlers: JobHandler[] | ((clock: Clock) => JobHandler[]),
  options: {
    concurrency?: number;
    /** Wraps the execution store the worker gets (fault injection). */
    wrapExecutions?: (e: ExecutionStore, jobs: JobStore) => ExecutionStore;
  } = {},
) {
  const clock: FakeClock = fakeClock(T0);
  const adapters = createMemoryAdapters({
    clock,
    visibilityTimeoutS: VISIBILITY_S,
    maxReceiveCount: 10,
  });
  const { queue, jobs } = adapters;
  const executions = options.wrapExecutions?.(adapters.executions, jobs) ?? adapters.executions;
  const registry = new Registry();
  const metrics = createWorkerMetrics(registry);
  /** Every extendAll call: the deliveries it was given and the visibility asked. */
  const extendAlls: Array<{ runs: number[]; seconds: number }> = [];
  const extendAll = queue.extendAll.bind(queue);
  queue.extendAll = (deliveries: readonly Delivery[], seconds: number) => {
    extendAlls.push({ runs: deliveries.map((d) => d.run.scheduledMs), seconds });
    return extendAll(deliveries, seconds);
  };
  const worker: Worker = startWorker({
    queue,
    jobs,
    executions,
    handlers: createHandlerRegistry(typeof handlers === "function" ? handlers(clock) : handlers),
    clock,
    logger: pino({ level: "silent" }),
    metrics,
    options: {
      id: "w1",
      concurrency: options.concurrency ?? 4,
      intakeBuffer: 4,
      visibilityTimeoutS: VISIBILITY_S,
      drainTimeoutMs: DRAIN_MS,
    },
    retry: {
      jobs,
      retries: adapters.retries,
      queue,
      deadLetters: adapters.deadLetters,
      metrics: createRetryMetrics(registry),
      queueMaxDelayMs: 900_000,
      startTimeoutMs: 30_000,
      random: () => 0.5,
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const done = worker.stop();
    // The receive loop's long polls (5 s) and the drain timeout run on the fake clock.
    for (let i = 0; i < 10; i++) await clock.tick(DRAIN_MS);
    await done;
  };
  cleanups.push(stop);

  /** A job of `target`, stored, and its run at `scheduledMs` (attempt 1). */
  async function jobWith(target: JobTarget, extra: Partial<Job> = {}) {
    const job = makeJob(1, { target, createdMs: T0, updatedMs: T0, ...extra });
    await jobs.createJob(job);
    const runAt = (scheduledMs: number, attempt = 1): RunRef => ({
      tenant: job.tenant,
      jobId: job.id,
      partition: job.partition,
      scheduledMs,
      attempt,
      manual: false,
    });
    return { job, runAt };
  }
  const send = (run: RunRef, target: JobTarget) => queue.send([{ ...run, target }]);
  const execution = (run: RunRef) => adapters.executions.getExecution(run.tenant, executionId(run));
  const duplicates = async () =>
    (await registry.getSingleMetricAsString("chronoring_duplicate_deliveries_total")).match(
      / (\d+)$/m,
    )?.[1];
  /** Lets the worker react (event loop turns, no time passing) until `check` holds. */
  async function until(what: string, check: () => boolean | Promise<boolean>) {
    for (let i = 0; i < 2_000; i++) {
      if (await check()) return;
      await clock.tick(0);
    }
    throw new Error(`never happened: ${what}`);
  }
  return {
    clock,
    queue,
    worker,
    /** Stops the worker, moving the fake clock through its polls and drain. */
    stop,
    extendAlls,
    jobWith,
    send,
    execution,
    duplicates,
    until,
  };
}

export const NOOP: JobTarget = { type: "noop", sleepMs: 0 };
