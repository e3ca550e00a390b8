/**
 * A worker's slots on the real backends: a slot takes the next run as soon as
 * the handler of the last one is done, while that run's outcome is still
 * being written, and no more than `concurrency` runs finish beyond the
 * slots. Every run still starts once and ends SUCCEEDED.
 */
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import { executionId, type RunRef } from "../../../src/core/execution.js";
import { ALL_TENANTS } from "../../../src/core/tenant.js";
import { createNoopHandler } from "../../../src/worker/handlers/noop.js";
import { createHandlerRegistry } from "../../../src/worker/handlers/registry.js";
import { createWorkerMetrics } from "../../../src/worker/metrics.js";
import { startWorker, type Worker } from "../../../src/worker/worker.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";
import { waitFor } from "../../support/wait.js";

describe("worker slots", () => {
  let worker: Worker | undefined;
  afterAll(async () => {
    await worker?.stop();
  });

  it("frees a slot when the handler is done, before the outcome is written, up to concurrency runs finishing", async () => {
    const config = testConfig("worker-slots", { ETCD_ENDPOINTS: "" });
    const stores = await testStores(config);
    await stores.executions.init();
    // Outcome writes wait until the test opens the gate: runs pile up finishing.
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const finishing: string[] = [];
    const executions = {
      ...stores.executions,
      async finishExecution(...args: Parameters<typeof stores.executions.finishExecution>) {
        finishing.push(args[0]);
        await gate;
        return stores.executions.finishExecution(...args);
      },
    };
    const runs: RunRef[] = [];
    for (let i = 0; i < 4; i++) {
      const job = makeJob(config.store.partitions);
      await stores.jobs.createJob(job);
      runs.push({
        tenant: job.tenant,
        jobId: job.id,
        partition: job.partition,
        scheduledMs: job.nextRunMs!,
        attempt: 1,
        manual: false,
      });
    }
    await stores.queue.send(runs.map((run) => ({ ...run, target: { type: "noop", sleepMs: 0 } })));

    worker = startWorker({
      queue: stores.queue,
      jobs: stores.jobs,
      executions,
      handlers: createHandlerRegistry([createNoopHandler()]),
      clock: systemClock,
      logger: silentLogger,
      metrics: createWorkerMetrics(new Registry()),
      options: { id: "w-slots", concurrency: 1, visibilityTimeoutS: 30, drainTimeoutMs: 5000 },
    });

    // Concurrency 1: the second run starts while the first is still finishing,
    // and the third must wait for a slot, as two runs (1 + 1) are in the worker.
    await waitFor("two runs waiting on their outcome write", async () =>
      finishing.length === 2 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(finishing).toHaveLength(2);
    expect(worker.inFlight).toBe(2);

    open();
    const ended = await waitFor("every run to succeed", async () => {
      const all = await Promise.all(
        runs.map((run) => stores.executions.getExecution(ALL_TENANTS, executionId(run))),
      );
      return all.every((e) => e?.status === "SUCCEEDED") ? all : undefined;
    });
    expect(ended.map((e) => e!.workerId)).toEqual(runs.map(() => "w-slots"));
    expect(new Set(finishing).size).toBe(4);
  });
});
