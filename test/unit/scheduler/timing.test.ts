/**
 * The scheduler's timing on the fake clock with the in-memory adapters: when
 * a run is claimed (look-ahead), when it is sent (its time, not before), how
 * a wake shortens the wait for a poll, and when the recovery sweep sends a
 * run that was claimed but never sent (after the start timeout).
 */

import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryExecutionStore } from "../../../src/adapters/memory/execution-store.js";
import { createMemoryJobStore } from "../../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../../src/adapters/memory/memory-db.js";
import { createMemoryWorkQueue } from "../../../src/adapters/memory/work-queue.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import type { Job } from "../../../src/core/job.js";
import { SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { createScheduler, type Scheduler } from "../../../src/scheduler/scheduler.js";
import { type FakeClock, fakeClock } from "../../support/fake-clock.js";
import { makeJob } from "../../support/jobs.js";

const T0 = Date.UTC(2030, 0, 1);
const LOOKAHEAD = 10_000;
const START_TIMEOUT = 30_000;
const SWEEP = 10_000;

let running: Scheduler | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** A standalone scheduler owning the one partition, on a fake clock at T0, with memory adapters. */
function setup(options: { pollIntervalMs?: number; start?: boolean } = {}) {
  const clock: FakeClock = fakeClock(T0);
  const db = createMemoryDb();
  const jobs = createMemoryJobStore(db);
  const executions = createMemoryExecutionStore(db);
  const queue = createMemoryWorkQueue({ clock, visibilityTimeoutS: 30, maxReceiveCount: 5 });
  const scheduler = createScheduler({
    jobs,
    executions,
    queue,
    clock,
    logger: pino({ level: "silent" }),
    metrics: createSchedulerMetrics(new Registry()),
    options: {
      lookaheadMs: LOOKAHEAD,
      pollIntervalMs: options.pollIntervalMs ?? 5_000,
      batchSize: 100,
      startTimeoutMs: START_TIMEOUT,
      sweepIntervalMs: SWEEP,
      recoveryHorizonMs: 3_600_000,
      concurrency: 1,
    },
  });
  running = scheduler;
  const once = (at: number): Job =>
    makeJob(1, { nextRunMs: at, schedule: { kind: "once", at }, createdMs: T0, updatedMs: T0 });
  const claimed = async (job: Job) =>
    (await jobs.getJob(DEFAULT_TENANT, job.id))?.lastRunMs !== undefined;
  const sent = async () => (await queue.depth()).visible;
  /** Moves the clock to `at`, running what falls due on the way. */
  const until = (at: number) => clock.tick(at - clock.now());
  return { clock, jobs, executions, queue, scheduler, once, claimed, sent, until };
}

describe("scheduler timing on a fake clock", () => {
  it("claims a run when it enters the look-ahead and sends it at its time, not before", async () => {
    const s = setup();
    const at = T0 + 60_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    s.scheduler.setPartitions([{ partition: 0 }]);

    await s.until(at - LOOKAHEAD - 1);
    expect(await s.claimed(job)).toBe(false);
    // Claimed early enough (at least 0.9 look-ahead ahead), held, not sent.
    await s.until(at - LOOKAHEAD * 0.9);
    expect(await s.claimed(job)).toBe(true);
    expect(s.scheduler.held).toBe(1);
    await s.until(at - 1);
    expect(await s.sent()).toBe(0);
    // Sent at its time plus the gather window at most (runs due just after it share the request).
    await s.until(at + SEND_GATHER_MS);
    expect(await s.sent()).toBe(1);
    expect(s.scheduler.held).toBe(0);
    const [delivery] = await s.queue.receive(10, 0);
    expect(delivery?.run).toMatchObject({ jobId: job.id, scheduledMs: at, attempt: 1 });
  });

  it("finds a job created between polls at the next poll", async () => {
    const s = setup({ pollIntervalMs: 5_000 });
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 1_000);
    const job = s.once(T0 + 2_000);
    await s.jobs.createJob(job);
    // Due within the look-ahead, but nothing reads the index before the next poll.
    await s.until(T0 + 4_999);
    expect(await s.claimed(job)).toBe(false);
    await s.until(T0 + 5_000);
    expect(await s.claimed(job)).toBe(true);
    expect(await s.sent()).toBe(1);
  });

  it("polls early for a wake: a run created between long polls is still sent at its time", async () => {
    const s = setup({ pollIntervalMs: 60_000 });
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 1_000);
    const woken = s.once(T0 + 20_000);
    const unwoken = s.once(T0 + 20_000);
    await s.jobs.createJob(woken);
    s.scheduler.wake(0, woken.nextRunMs!);
    await s.until(T0 + 20_000 - LOOKAHEAD - 1);
    expect(await s.claimed(woken)).toBe(false);
    await s.until(T0 + 20_000 + SEND_GATHER_MS);
    expect(await s.claimed(woken)).toBe(true);
    expect(await s.sent()).toBe(1);

    // Without a wake, a job created now waits for the next poll (T0 + 60 s after the last read).
    await s.jobs.createJob(unwoken);
    await s.until(T0 + 50_000);
    expect(await s.claimed(unwoken)).toBe(false);
    await s.until(T0 + 80_000);
    expect(await s.claimed(unwoken)).toBe(true);
  });

  it("sends a run claimed but never sent once its start timeout passed, at the next sweep", async () => {
    const s = setup();
    const at = T0 + 5_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    // Another scheduler claimed it, then died before sending it.
    const [due] = await s.jobs.dueJobs(0, at, 10);
    expect(
      await s.jobs.claimRuns([
        { job: due!, nextRunMs: undefined, recoverAtMs: at + START_TIMEOUT },
      ]),
    ).toEqual([true]);
    s.scheduler.setPartitions([{ partition: 0 }]);

    await s.until(at + START_TIMEOUT - 1);
    expect(await s.sent()).toBe(0);
    await s.until(at + START_TIMEOUT + SWEEP);
    expect(await s.sent()).toBe(1);
    const [delivery] = await s.queue.receive(10, 0);
    expect(delivery?.run).toMatchObject({ jobId: job.id, scheduledMs: at });
  });

  it("does not send again a claimed run that a worker started", async () => {
    const s = setup();
    const at = T0 + 5_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(at + SEND_GATHER_MS);
    const [delivery] = await s.queue.receive(10, 0);
    expect(
      await s.executions.startExecution({ ...delivery!.run, tenant: DEFAULT_TENANT }, "w1", at),
    ).toBe("started");
    await s.queue.ack(delivery!);
    await s.until(at + START_TIMEOUT + 3 * SWEEP);
    expect(await s.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
