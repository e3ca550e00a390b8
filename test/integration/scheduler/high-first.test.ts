/**
 * A HIGH run due with a backlog of 2,000 MEDIUM runs in its partition is
 * sent first, against DynamoDB Local and the SQS emulator: the due index
 * lists it after every run of the partition that sorts before it (it is
 * due a millisecond after them), and the claim pass that finds a full page of due runs
 * reads the HIGH index too and claims it first.
 */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import type { Job } from "../../../src/core/job.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { createScheduler } from "../../../src/scheduler/scheduler.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";
import { waitFor } from "../../support/wait.js";

const PARTITIONS = 8;
const BACKLOG = 2_000;

/** A one-time job of partition 0 due at `at`. */
function inPartition0(at: number, priority?: "HIGH"): Job {
  for (;;) {
    const job = makeJob(PARTITIONS, {
      nextRunMs: at,
      schedule: { kind: "once", at },
      ...(priority ? { priority } : {}),
    });
    if (job.partition === 0) return job;
  }
}

describe("HIGH first under a backlog", () => {
  it("sends a HIGH run due with 2,000 MEDIUM runs of its partition before any of them", async () => {
    const t0 = Date.now();
    const config = testConfig("high-backlog");
    const stores = await testStores(config);
    const at = Date.now() - 1_000;
    const medium = Array.from({ length: BACKLOG }, () => inPartition0(at));
    for (let i = 0; i < medium.length; i += 500) {
      expect((await stores.jobs.putJobs(medium.slice(i, i + 500))).size).toBe(0);
    }
    console.log(`high-first: backlog written in ${Date.now() - t0} ms`);
    // A millisecond later than the backlog: the due index orders by time
    // only, and runs due at one instant come in no set order.
    const high = inPartition0(at + 1, "HIGH");
    expect((await stores.jobs.putJobs([high])).size).toBe(0);
    // The due index lists it behind the backlog's first page.
    const page = await stores.jobs.dueJobs(0, at + 1, config.scheduler.batchSize);
    expect(page.map((d) => d.id)).not.toContain(high.id);
    // The HIGH index serves it: a fresh table's index may still be being
    // built on a busy DynamoDB Local (the readiness check asks again every 5 s).
    const tHigh = Date.now();
    await waitFor(
      "the HIGH index to list the HIGH job",
      async () =>
        (await stores.jobs.dueJobs(0, at + 1, 10, "HIGH")).some((j) => j.id === high.id)
          ? true
          : undefined,
      60_000,
    );
    console.log(`high-first: the HIGH index listed it after ${Date.now() - tHigh} ms`);

    const sent: string[] = [];
    const queue = {
      ...stores.queue,
      send: async (runs: Parameters<typeof stores.queue.send>[0]) => {
        await stores.queue.send(runs);
        sent.push(...runs.map((r) => r.jobId));
      },
    };
    const scheduler = createScheduler({
      jobs: stores.jobs,
      executions: stores.executions,
      queue,
      clock: systemClock,
      logger: silentLogger,
      metrics: createSchedulerMetrics(new Registry()),
      options: config.scheduler,
    });
    try {
      scheduler.setPartitions([{ partition: 0 }]);
      await waitFor("the HIGH run sent", async () => (sent.includes(high.id) ? true : undefined));
      console.log(
        `high-first: ${sent.length} runs sent when the HIGH one was; it was number ${sent.indexOf(high.id) + 1}`,
      );
      expect(sent.indexOf(high.id)).toBe(0);
      const [delivered] = await stores.queue.receive(1, 0, undefined, "HIGH");
      expect(delivered?.run.jobId).toBe(high.id);
    } finally {
      await scheduler.stop();
      stores.client.destroy();
    }
  }, 120_000);
});
