/**
 * A run its claim recorded (the hot path: every run a claim or TriggerJob
 * sends) starts by the execution's conditional write alone, with no read of
 * its job. These tests prove, through a worker on a fake clock over the
 * in-memory adapters, that a pause or a delete that answered before the run
 * reached the worker still wins: the stop recorded the run CANCELLED, the
 * worker's start is refused by that record, the handler is never called and
 * the message is removed.
 */

import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryAdapters } from "../../../src/adapters/memory/adapters.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { INACTIVE_JOB_REASON } from "../../../src/core/claim-rules.js";
import { notFound } from "../../../src/core/errors.js";
import { executionId, type RunRef } from "../../../src/core/execution.js";
import { createJobStates } from "../../../src/core/job-states.js";
import { runMessageFor } from "../../../src/core/run-message.js";
import type { JobHandler } from "../../../src/worker/handlers/handler.js";
import { createHandlerRegistry } from "../../../src/worker/handlers/registry.js";
import { createWorkerMetrics } from "../../../src/worker/metrics.js";
import { startWorker } from "../../../src/worker/worker.js";
import { fakeClock } from "../../support/fake-clock.js";
import { EVERY_MINUTE, makeJob } from "../../support/jobs.js";

const T0 = Date.UTC(2030, 0, 1);
const NOOP = { type: "noop", sleepMs: 0 } as const;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const clock = fakeClock(T0);
  const stores = createMemoryAdapters({ clock, visibilityTimeoutS: 30, maxReceiveCount: 10 });
  const { jobs, executions, queue } = stores;
  const calls: string[] = [];
  const handler: JobHandler = {
    type: "noop",
    run: async (_target, ctx) => {
      calls.push(ctx.executionId);
      return { ok: true, summary: "ran" };
    },
  };
  const registry = new Registry();
  const states = createJobStates({
    jobs,
    executions,
    clock,
    load: async (tenant, id) => {
      const job = await jobs.getJob(tenant, id);
      if (!job) throw notFound(`job ${id}`);
      return job;
    },
    scheduled: (job) => job,
  });
  const job = makeJob(8, { schedule: EVERY_MINUTE, nextRunMs: T0, createdMs: T0, updatedMs: T0 });
  await jobs.createJob(job);
  const [due] = await jobs.dueJobs(job.partition, T0, 10);
  expect(await jobs.claimRuns([{ job: due!, nextRunMs: T0 + 60_000, recoverAtMs: T0 }])).toEqual([
    true,
  ]);
  const run: RunRef = { ...job, jobId: job.id, scheduledMs: T0, attempt: 1, manual: false };
  /**
   * Sends `r` as the claimer sends a run of a job without a failure policy:
   * recorded in the job's claims, with whether the claim found it failing.
   */
  const send = (r: RunRef) =>
    queue.send([runMessageFor(r, { target: NOOP, claimed: true, failing: false })]);

  let started = false;
  /** Starts the worker (the first time), then lets it work until `check` holds. */
  async function work(check: () => Promise<boolean>) {
    if (!started) start();
    // A few ms a turn: the receive loop gathers for 10 ms after a receive that brought few runs.
    for (let i = 0; i < 2_000 && !(await check()); i++) await clock.tick(5);
    expect(await check()).toBe(true);
  }
  function start() {
    started = true;
    const worker = startWorker({
      queue,
      jobs,
      executions,
      handlers: createHandlerRegistry([handler]),
      clock,
      logger: pino({ level: "silent" }),
      metrics: createWorkerMetrics(registry),
      options: { id: "w1", concurrency: 2, visibilityTimeoutS: 30, drainTimeoutMs: 1000 },
    });
    cleanups.push(async () => {
      const done = worker.stop();
      for (let i = 0; i < 10; i++) await clock.tick(1000);
      await done;
    });
  }
  const execution = (r: RunRef) => executions.getExecution(DEFAULT_TENANT, executionId(r));
  const emptyQueue = async () => {
    const depth = await queue.depth();
    return depth.visible + depth.inFlight === 0;
  };
  const duplicates = async () =>
    (await registry.getSingleMetricAsString("chronoring_duplicate_deliveries_total")).match(
      / (\d+)$/m,
    )?.[1];
  return { job, run, states, send, work, execution, emptyQueue, duplicates, calls, jobs };
}

describe("the start of a run in its job's claim record (no read of the job)", () => {
  it("runs it once when nothing stopped the job", async () => {
    const t = await setup();
    await t.send(t.run);
    await t.work(async () => (await t.execution(t.run))?.status === "SUCCEEDED");
    expect(t.calls).toEqual([executionId(t.run)]);
  });

  it("a pause that answered before the run reached the worker wins: CANCELLED, never called", async () => {
    const t = await setup();
    await t.send(t.run);
    await t.states.pause(DEFAULT_TENANT, t.job.id, { by: "tests" });
    await t.work(t.emptyQueue);
    expect(t.calls).toEqual([]);
    expect(await t.execution(t.run)).toMatchObject({
      status: "CANCELLED",
      error: INACTIVE_JOB_REASON,
    });
    // Refused by the record the pause wrote: to the worker, a run already recorded.
    expect(await t.duplicates()).toBe("1");
  });

  it("a delete wins over a triggered run too; a pause does not (a manual run runs while paused)", async () => {
    const t = await setup();
    const manual = (at: number): RunRef => ({ ...t.run, scheduledMs: at, manual: true });
    await t.jobs.recordManualRun(DEFAULT_TENANT, t.job.id, T0 + 1, T0 + 5000);
    await t.states.pause(DEFAULT_TENANT, t.job.id, { by: "tests" });
    await t.send(manual(T0 + 1));
    await t.work(async () => (await t.execution(manual(T0 + 1)))?.status === "SUCCEEDED");

    await t.jobs.recordManualRun(DEFAULT_TENANT, t.job.id, T0 + 2, T0 + 5000);
    await t.send(manual(T0 + 2));
    await t.states.cancel(DEFAULT_TENANT, t.job.id);
    await t.work(t.emptyQueue);
    expect(t.calls).toEqual([executionId(manual(T0 + 1))]);
    expect((await t.execution(manual(T0 + 2)))?.status).toBe("CANCELLED");
  });
});
