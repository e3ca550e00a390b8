/**
 * A standalone scheduler on a fake clock with the memory adapters, for the
 * unit tests of its timing; counts the index reads it makes. Stopped after
 * each test.
 */
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach } from "vitest";
import { createMemoryExecutionStore } from "../../src/adapters/memory/execution-store.js";
import { createMemoryJobStore } from "../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../src/adapters/memory/memory-db.js";
import { createMemoryWorkQueue } from "../../src/adapters/memory/work-queue.js";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import type { Job } from "../../src/core/job.js";
import { createSchedulerMetrics } from "../../src/scheduler/metrics.js";
import { createScheduler, type Scheduler } from "../../src/scheduler/scheduler.js";
import { type FakeClock, fakeClock } from "./fake-clock.js";
import { makeJob } from "./jobs.js";

export const T0 = Date.UTC(2030, 0, 1);
export const LOOKAHEAD = 10_000;
export const START_TIMEOUT = 30_000;
export const SWEEP = 10_000;

/** A one-time job of partition 0 due at `at`, written at T0 (MEDIUM unless `priority`). */
export function onceJob(at: number, priority?: Job["priority"]): Job {
  return makeJob(1, {
    nextRunMs: at,
    schedule: { kind: "once", at },
    createdMs: T0,
    updatedMs: T0,
    ...(priority ? { priority } : {}),
  });
}

let running: Scheduler | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** A standalone scheduler owning the one partition, on a fake clock at T0, with memory adapters. */
export function schedulerOnFakeClock(
  options: {
    pollIntervalMs?: number;
    pollBackstopMs?: number;
    sweepBackstopMs?: number;
    start?: boolean;
    batchSize?: number;
    /** A HIGH run of a partition stood by for is checked this long after its time (standby.ts). */
    standbyHedgeMs?: number;
    /** Each `claimRuns` call takes this long on the fake clock (a store under load). */
    claimDelayMs?: number;
  } = {},
) {
  const clock: FakeClock = fakeClock(T0);
  const db = createMemoryDb();
  /** Store queries by kind: what the scheduler reads from the indexes. */
  const queries = { due: 0, pending: 0, queued: 0 };
  /** HIGH-index reads among `queries.due`. */
  const highReads = { count: 0 };
  const jobs = countQueries(createMemoryJobStore(db), queries, highReads);
  if (options.claimDelayMs) {
    const claimRuns = jobs.claimRuns.bind(jobs);
    jobs.claimRuns = async (...args) => {
      await clock.sleep(options.claimDelayMs!);
      return claimRuns(...args);
    };
  }
  const executions = createMemoryExecutionStore(db);
  const queuedAttempts = executions.queuedAttempts.bind(executions);
  executions.queuedAttempts = (...args) => {
    queries.queued++;
    return queuedAttempts(...args);
  };
  const queue = createMemoryWorkQueue({ clock, visibilityTimeoutS: 30, maxReceiveCount: 5 });
  const metrics = createSchedulerMetrics(new Registry());
  const scheduler = createScheduler({
    jobs,
    executions,
    queue,
    clock,
    logger: pino({ level: "silent" }),
    metrics,
    options: {
      lookaheadMs: LOOKAHEAD,
      pollIntervalMs: options.pollIntervalMs ?? 5_000,
      ...(options.pollBackstopMs ? { pollBackstopMs: options.pollBackstopMs } : {}),
      ...(options.sweepBackstopMs ? { sweepBackstopMs: options.sweepBackstopMs } : {}),
      batchSize: options.batchSize ?? 100,
      ...(options.standbyHedgeMs ? { standbyHedgeMs: options.standbyHedgeMs } : {}),
      startTimeoutMs: START_TIMEOUT,
      sweepIntervalMs: SWEEP,
      recoveryHorizonMs: 3_600_000,
      concurrency: 1,
    },
  });
  running = scheduler;
  const once = (at: number): Job => onceJob(at);
  const claimed = async (job: Job) =>
    (await jobs.getJob(DEFAULT_TENANT, job.id))?.lastRunMs !== undefined;
  const sent = async () => (await queue.depth()).visible;
  /** Moves the clock to `at`, running what falls due on the way. */
  const until = (at: number) => clock.tick(at - clock.now());
  return {
    clock,
    jobs,
    executions,
    queue,
    scheduler,
    once,
    claimed,
    sent,
    until,
    queries,
    highReads,
    metrics,
  };
}

/** The job store with its due-index and recover-index reads counted. */
function countQueries(
  jobs: ReturnType<typeof createMemoryJobStore>,
  queries: { due: number; pending: number },
  highReads: { count: number },
) {
  const dueJobs = jobs.dueJobs.bind(jobs);
  const pendingRuns = jobs.pendingRuns.bind(jobs);
  jobs.dueJobs = (...args) => {
    queries.due++;
    if (args[3] === "HIGH") highReads.count++;
    return dueJobs(...args);
  };
  jobs.pendingRuns = (...args) => {
    queries.pending++;
    return pendingRuns(...args);
  };
  return jobs;
}
