import pino from "pino";
import { Registry } from "prom-client";
import { createMemoryExecutionStore } from "../src/adapters/memory/execution-store.js";
import { createMemoryJobStore } from "../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../src/adapters/memory/memory-db.js";
import { createMemoryWorkQueue } from "../src/adapters/memory/work-queue.js";
import { loadConfig } from "../src/config/config.js";
import { createSchedulerMetrics } from "../src/scheduler/metrics.js";
import { createScheduler } from "../src/scheduler/scheduler.js";
import { fakeClock } from "../test/support/fake-clock.js";

/** The idle-cost target: store queries per second per scheduler node with nothing due. */
const TARGET_QPS = 5;

/**
 * `npm run bench -- idle`: one scheduler node owning every partition, with
 * the default settings and nothing due, run on a fake clock over `hours` of
 * idle time against the memory stores; counts the index queries it makes
 * (due index, recover index, re-queued attempts) after the first hour's
 * start-up reads. `before` is the same node with both backstops set to the
 * intervals, which is how often it polled and swept before the backstops.
 */
export async function idleBench(options: { partitions: number; hours: number }) {
  const settled = await measure(options, false);
  const before = await measure(options, true);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    bench: "idle",
    partitions: options.partitions,
    hours: options.hours,
    queries_per_s: r(settled.qps),
    by_kind_per_s: settled.byKind,
    ratio_to_target: r(settled.qps / TARGET_QPS),
    before_queries_per_s: r(before.qps),
    target_queries_per_s: TARGET_QPS,
  };
}

async function measure(options: { partitions: number; hours: number }, asBefore: boolean) {
  const config = loadConfig({ CHRONORING_AUTH_MODE: "off" }, []).scheduler;
  const scheduler0 = asBefore
    ? { ...config, pollBackstopMs: config.pollIntervalMs, sweepBackstopMs: config.sweepIntervalMs }
    : config;
  const clock = fakeClock(Date.UTC(2030, 0, 1));
  const db = createMemoryDb();
  const jobs = createMemoryJobStore(db);
  const executions = createMemoryExecutionStore(db);
  const counts = { due: 0, pending: 0, queued: 0 };
  const count = <A extends unknown[], R>(kind: keyof typeof counts, f: (...a: A) => R) => {
    return (...a: A): R => {
      counts[kind]++;
      return f(...a);
    };
  };
  jobs.dueJobs = count("due", jobs.dueJobs.bind(jobs));
  jobs.pendingRuns = count("pending", jobs.pendingRuns.bind(jobs));
  executions.queuedAttempts = count("queued", executions.queuedAttempts.bind(executions));
  const scheduler = createScheduler({
    jobs,
    executions,
    queue: createMemoryWorkQueue({ clock, visibilityTimeoutS: 30, maxReceiveCount: 5 }),
    clock,
    logger: pino({ level: "silent" }),
    metrics: createSchedulerMetrics(new Registry()),
    options: scheduler0,
  });
  scheduler.setPartitions(
    Array.from({ length: options.partitions }, (_, partition) => ({ partition })),
  );
  // The gain's reads and sweeps, then a warm-up hour.
  await clock.tick(3_600_000);
  const start = { ...counts };
  const spanMs = options.hours * 3_600_000;
  await clock.tick(spanMs);
  await scheduler.stop();
  const per = (k: keyof typeof counts) => (counts[k] - start[k]) / (spanMs / 1000);
  const byKind = { due: per("due"), pending: per("pending"), queued: per("queued") };
  return { qps: byKind.due + byKind.pending + byKind.queued, byKind };
}
