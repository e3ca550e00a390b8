/**
 * Every sender puts a run on the queue of its job's priority, against
 * DynamoDB Local and the SQS emulator: the claimer (priority from the due
 * index, no extra read; a due index without it falls back to reading the
 * job) and the recovery sweep's re-sends (which read the job).
 */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { dueIndexProjection } from "../../../src/adapters/dynamodb/tables.js";
import { systemClock } from "../../../src/core/clock.js";
import type { JobStore } from "../../../src/core/ports/job-store.js";
import type { WorkQueue } from "../../../src/core/ports/work-queue.js";
import type { Priority } from "../../../src/core/priority.js";
import { createClaimer } from "../../../src/scheduler/claimer.js";
import { createDispatcher } from "../../../src/scheduler/dispatcher.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { createRecovery } from "../../../src/scheduler/recovery.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { fakeClock } from "../../support/fake-clock.js";
import { makeJob } from "../../support/jobs.js";
import { waitFor } from "../../support/wait.js";

const PARTITIONS = 8;

/** Which queue each job's run landed on. */
async function landed(queue: WorkQueue, expected: number): Promise<Map<string, Priority>> {
  const found = new Map<string, Priority>();
  await waitFor(`${expected} runs on the queues`, async () => {
    for (const priority of ["HIGH", "MEDIUM", "LOW"] as const) {
      for (const d of await queue.receive(10, 0, undefined, priority)) {
        found.set(d.run.jobId, priority);
        await queue.ack(d);
      }
    }
    return found.size >= expected ? true : undefined;
  });
  return found;
}

/** The job store with its reads counted. */
function counting(jobs: JobStore) {
  const counter = { reads: 0 };
  const store: JobStore = {
    ...jobs,
    getJob: (scope, id) => {
      counter.reads++;
      return jobs.getJob(scope, id);
    },
  };
  return { store, counter };
}

async function claimAll(store: JobStore, queue: WorkQueue, partitions: number[]) {
  const metrics = createSchedulerMetrics(new Registry());
  const dispatcher = createDispatcher({ queue, clock: systemClock, metrics, logger: silentLogger });
  const claimer = createClaimer({
    store,
    dispatcher,
    clock: systemClock,
    metrics,
    logger: silentLogger,
    options: { lookaheadMs: 1000, pollIntervalMs: 1000, batchSize: 100, startTimeoutMs: 5000 },
  });
  for (const p of new Set(partitions)) await claimer.pass(p);
  await dispatcher.close();
}

describe("routing runs by priority", () => {
  it("the claimer sends each run to its priority's queue without reading the job", async () => {
    const config = testConfig("route-claim");
    const stores = await testStores(config);
    expect(
      (await dueIndexProjection(stores.client, tableNames(config.store.tablePrefix).jobs))("prio"),
    ).toBe(true);
    const now = Date.now() - 1000;
    const jobs = [
      makeJob(PARTITIONS, { nextRunMs: now, priority: "HIGH" }),
      makeJob(PARTITIONS, { nextRunMs: now, priority: "LOW" }),
      makeJob(PARTITIONS, { nextRunMs: now }),
      makeJob(PARTITIONS, { nextRunMs: now, priority: "MEDIUM" }),
    ];
    for (const job of jobs) await stores.jobs.createJob(job);
    const { store, counter } = counting(stores.jobs);
    await claimAll(
      store,
      stores.queue,
      jobs.map((j) => j.partition),
    );
    const found = await landed(stores.queue, 4);
    expect(jobs.map((j) => found.get(j.id))).toEqual(["HIGH", "LOW", "MEDIUM", "MEDIUM"]);
    expect(counter.reads).toBe(0);
  });

  it("reads the job when the due index cannot tell (a table from before priorities)", async () => {
    const config = testConfig("route-old-index");
    const stores = await testStores(config);
    const job = makeJob(PARTITIONS, { nextRunMs: Date.now() - 1000, priority: "HIGH" });
    await stores.jobs.createJob(job);
    const { store, counter } = counting(stores.jobs);
    // What an index without `prio` gives: due jobs without a priority.
    const old: JobStore = {
      ...store,
      dueJobs: async (...args) =>
        (await stores.jobs.dueJobs(...args)).map(({ priority: _, ...due }) => due),
    };
    await claimAll(old, stores.queue, [job.partition]);
    expect((await landed(stores.queue, 1)).get(job.id)).toBe("HIGH");
    expect(counter.reads).toBe(1);
  });

  it("the recovery sweep re-sends a claimed, unsent run to its priority's queue", async () => {
    const config = testConfig("route-recovery");
    const stores = await testStores(config);
    const clock = fakeClock(Date.now());
    const job = makeJob(PARTITIONS, { nextRunMs: clock.now(), priority: "LOW" });
    await stores.jobs.createJob(job);
    const [due] = await stores.jobs.dueJobs(job.partition, clock.now(), 10);
    expect(due?.priority).toBe("LOW");
    await stores.jobs.claimRuns([
      { job: due!, nextRunMs: undefined, recoverAtMs: due!.nextRunMs + 5000 },
    ]);
    const recovery = createRecovery({
      jobs: stores.jobs,
      executions: stores.executions,
      queue: stores.queue,
      clock,
      metrics: createSchedulerMetrics(new Registry()),
      logger: silentLogger,
      startTimeoutMs: 5000,
      lookaheadMs: 1000,
    });
    clock.advance(5001);
    await recovery.sweep(job.partition, clock.now() - 60_000);
    expect((await landed(stores.queue, 1)).get(job.id)).toBe("LOW");
    expect((await stores.queue.depth()).visible).toBe(0);
  });
});
