/**
 * The scheduler on DynamoDB Local and the SQS emulator, with a poll interval
 * (30 s) far longer than the test: runs read once from the due index are
 * claimed by later passes without reading it again, each on time; a job
 * deleted after that read loses its claim and never fires; a job added
 * after the read is seen through its wake. The dispatch thread sends the
 * claimed runs at their time.
 */
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { metricValue } from "../../../deploy/local/chronoring-process.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { systemClock } from "../../../src/core/clock.js";
import type { Delivery } from "../../../src/core/ports/work-queue.js";
import { startDispatchThread } from "../../../src/scheduler/dispatch-thread.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { createScheduler, type Scheduler } from "../../../src/scheduler/scheduler.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";

const LOOKAHEAD = 1_000;

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

async function setup(label: string) {
  const config = testConfig(label, {
    PARTITIONS: "1",
    POLL_INTERVAL_MS: "30000",
    POLL_BACKSTOP_MS: "30000",
  });
  const stores = await testStores(config);
  const registry = new Registry();
  const metrics = createSchedulerMetrics(registry);
  const start = () => {
    scheduler = createScheduler({
      jobs: stores.jobs,
      executions: stores.executions,
      queue: stores.queue,
      clock: systemClock,
      logger: silentLogger,
      metrics,
      options: {
        ...config.scheduler,
        lookaheadMs: LOOKAHEAD,
        pollIntervalMs: 30_000,
        sweepIntervalMs: 60_000,
      },
      dispatcher: startDispatchThread({
        entry: new URL("../../../src/scheduler/dispatch-worker.ts", import.meta.url),
        data: { config },
        metrics,
        logger: silentLogger,
        registry,
      }),
    });
    scheduler.setPartitions([{ partition: 0 }]);
    return scheduler;
  };
  const passes = async (source: "index" | "known") =>
    metricValue(await registry.metrics(), `chronoring_claim_passes_total{source="${source}"}`);
  const receive = async (count: number, withinMs: number) => {
    const got: Delivery[] = [];
    const deadline = Date.now() + withinMs;
    while (got.length < count && Date.now() < deadline) {
      got.push(...(await stores.queue.receive(10, 500)));
    }
    for (const d of got) await stores.queue.ack(d);
    return got;
  };
  return { stores, start, passes, receive, registry, config };
}

describe("claiming from runs already read", () => {
  it("claims each run on time from one read of the due index", async () => {
    const { stores, start, passes, receive, config, registry } = await setup("known-runs");
    const t0 = Date.now() + 2_500;
    const jobs = [0, 700, 1_400, 2_100].map((d) => makeJob(1, { partition: 0, nextRunMs: t0 + d }));
    for (const job of jobs) await stores.jobs.createJob(job);
    start();
    const got = await receive(jobs.length, 10_000);
    expect(got.map((d) => d.run.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const d of got) {
      // Sent by the dispatch thread in the send-ahead before the run's time
      // (from it to half of it later), not later.
      const ahead = config.scheduler.sendAheadMs;
      expect(d.sentMs - d.run.scheduledMs).toBeGreaterThanOrEqual(-ahead);
      expect(d.sentMs - d.run.scheduledMs).toBeLessThan(1_000 - ahead);
    }
    // The first pass read all four; later passes claimed from what it read.
    expect(await passes("index")).toBe(1);
    expect(await passes("known")).toBeGreaterThanOrEqual(1);
    // The thread's own heap is reported beside the main thread's.
    const text = await registry.metrics();
    const used = metricValue(text, 'chronoring_dispatch_thread_heap_bytes{state="used"}');
    const total = metricValue(text, 'chronoring_dispatch_thread_heap_bytes{state="total"}');
    expect(used).toBeGreaterThan(1_000_000);
    expect(total).toBeGreaterThanOrEqual(used);
  });

  it("a job deleted after the read loses its claim; a job added later fires through its wake", async () => {
    const { stores, start, receive, registry } = await setup("known-changed");
    const t0 = Date.now() + 3_000;
    const kept = makeJob(1, { partition: 0, nextRunMs: t0 });
    const deleted = makeJob(1, { partition: 0, nextRunMs: t0 + 200 });
    for (const job of [kept, deleted]) await stores.jobs.createJob(job);
    const s = start();
    await new Promise((r) => setTimeout(r, 500)); // the first pass has read both
    // What DeleteJob writes: the job leaves the due index.
    await stores.jobs.updateJob(
      DEFAULT_TENANT,
      deleted.id,
      { status: "CANCELLED", nextRunMs: null },
      { statusIn: ["ACTIVE"] },
      Date.now(),
    );
    const added = makeJob(1, { partition: 0, nextRunMs: t0 + 400 });
    await stores.jobs.createJob(added);
    s.wake(0, added.nextRunMs!);

    const got = await receive(2, 8_000);
    expect(got.map((d) => d.run.jobId).sort()).toEqual([kept.id, added.id].sort());
    expect(await receive(1, 1_500)).toEqual([]);
    const text = await registry.metrics();
    expect(metricValue(text, "chronoring_claims_lost_total")).toBeLessThanOrEqual(1);
  });
});
