/**
 * A worker cut off from the store but not from the queue (nor etcd) stops
 * taking runs once its starts have hung or failed past the outage bound, and
 * takes them again once a read of the store answers: the runs sent meanwhile
 * stay in the queue for other workers (and the recovery sweep's re-sends go
 * to them too) instead of waiting behind a start write that cannot land.
 * Fake clock, memory adapters.
 */
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryAdapters } from "../../../src/adapters/memory/adapters.js";
import { createStoreOutage } from "../../../src/cluster/store-outage.js";
import { unavailable } from "../../../src/core/errors.js";
import { executionId, type RunRef } from "../../../src/core/execution.js";
import type { JobTarget } from "../../../src/core/job.js";
import { createHandlerRegistry } from "../../../src/worker/handlers/registry.js";
import { createWorkerMetrics } from "../../../src/worker/metrics.js";
import { watchStoreForIntake } from "../../../src/worker/store-aside.js";
import { startWorker } from "../../../src/worker/worker.js";
import { type FakeClock, fakeClock } from "../../support/fake-clock.js";
import { makeJob } from "../../support/jobs.js";

const T0 = Date.UTC(2030, 0, 1);
const OUTAGE_MS = 3_000;
const silent = pino({ level: "silent" });

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A store link the test cuts and heals: while cut, calls hang until the heal. */
function storeLink() {
  let cut = false;
  let healed: Array<() => void> = [];
  return {
    cut: () => {
      cut = true;
    },
    heal: () => {
      cut = false;
      for (const release of healed.splice(0)) release();
    },
    /** Runs `call` now, or once healed. */
    async through<T>(call: () => Promise<T>): Promise<T> {
      if (cut) await new Promise<void>((r) => healed.push(r));
      return call();
    },
    /** A probe read: fails at once while cut (a refused connection). */
    async probe() {
      if (cut) throw unavailable("DynamoDB", new Error("connect ECONNREFUSED"));
    },
    reset() {
      healed = [];
    },
  };
}

describe("watchStoreForIntake", () => {
  it("stands aside once start calls have hung past the bound, and back once a read answers", async () => {
    const clock: FakeClock = fakeClock(T0);
    const outage = createStoreOutage({ clock, outageMs: OUTAGE_MS });
    const probes: number[] = [];
    let answers = false;
    const aside = watchStoreForIntake({
      outage,
      probe: async () => {
        probes.push(clock.now() - T0);
        if (!answers) throw new Error("unreachable");
      },
      clock,
      logger: silent,
    });
    cleanups.push(() => aside.stop());
    let release: () => void = () => {};
    const hanging = outage.track(() => new Promise<void>((r) => (release = r)));
    await clock.tick(OUTAGE_MS);
    expect(aside.isAside()).toBe(false);
    // Checked every 500 ms: the first check past the bound.
    await clock.tick(500);
    expect(aside.isAside()).toBe(true);
    await clock.tick(2_000);
    expect(probes).toEqual([3_500, 4_500, 5_500]);
    answers = true;
    release();
    await hanging;
    expect(aside.isAside()).toBe(true);
    await clock.tick(1_000);
    expect(aside.isAside()).toBe(false);
    expect(probes).toEqual([3_500, 4_500, 5_500, 6_500]);
    // Calm again: nothing more is probed.
    await clock.tick(10_000);
    expect(probes).toHaveLength(4);
  });

  it("does not stand aside for calls that answer, however slowly within the bound", async () => {
    const clock: FakeClock = fakeClock(T0);
    const outage = createStoreOutage({ clock, outageMs: OUTAGE_MS });
    const aside = watchStoreForIntake({ outage, probe: async () => {}, clock, logger: silent });
    cleanups.push(() => aside.stop());
    for (let i = 0; i < 10; i++) {
      const slow = outage.track(() => clock.sleep(OUTAGE_MS - 100));
      await clock.tick(OUTAGE_MS - 100);
      await slow;
      expect(aside.isAside()).toBe(false);
    }
  });
});

describe("a worker cut off from the store alone", () => {
  it("takes no runs while aside, leaving them in the queue, and starts them once the store answers", async () => {
    const clock: FakeClock = fakeClock(T0);
    const adapters = createMemoryAdapters({ clock, visibilityTimeoutS: 30, maxReceiveCount: 10 });
    const { queue, jobs } = adapters;
    const link = storeLink();
    const executions = {
      ...adapters.executions,
      startExecution: (...args: Parameters<typeof adapters.executions.startExecution>) =>
        link.through(() => adapters.executions.startExecution(...args)),
    };
    const outage = createStoreOutage({ clock, outageMs: OUTAGE_MS });
    const aside = watchStoreForIntake({ outage, probe: () => link.probe(), clock, logger: silent });
    const noop: JobTarget = { type: "noop", sleepMs: 0 };
    const worker = startWorker({
      queue,
      jobs,
      executions,
      handlers: createHandlerRegistry([
        { type: "noop", run: async () => ({ ok: true, summary: "done" }) },
      ]),
      clock,
      logger: silent,
      metrics: createWorkerMetrics(new Registry()),
      options: { id: "w1", concurrency: 4, visibilityTimeoutS: 30, drainTimeoutMs: 1_000 },
      canWork: () => !aside.isAside(),
      storeCalls: outage,
    });
    cleanups.push(async () => {
      aside.stop();
      link.heal();
      const done = worker.stop();
      for (let i = 0; i < 10; i++) await clock.tick(5_000);
      await done;
    });
    const job = makeJob(1, { target: noop, createdMs: T0, updatedMs: T0 });
    await jobs.createJob(job);
    const run = (scheduledMs: number): RunRef => ({
      tenant: job.tenant,
      jobId: job.id,
      partition: job.partition,
      scheduledMs,
      attempt: 1,
      manual: false,
    });
    const status = async (r: RunRef) =>
      (await adapters.executions.getExecution(r.tenant, executionId(r)))?.status;
    const settle = async () => {
      for (let i = 0; i < 50; i++) await clock.tick(0);
    };

    link.cut();
    await queue.send([{ ...run(T0), target: noop }]);
    await settle();
    // Taken, its start hanging: not yet aside.
    expect((await queue.depth()).inFlight).toBe(1);
    await clock.tick(OUTAGE_MS + 500);
    expect(aside.isAside()).toBe(true);

    // Sent while aside: stays in the queue, visible for another worker.
    await queue.send([{ ...run(T0 + 5_000), target: noop }]);
    await clock.tick(5_000);
    await settle();
    expect(await queue.depth()).toMatchObject({ visible: 1, inFlight: 1 });
    expect(await status(run(T0 + 5_000))).toBeUndefined();

    link.heal();
    await clock.tick(1_000);
    await settle();
    expect(aside.isAside()).toBe(false);
    for (let i = 0; i < 20 && (await status(run(T0 + 5_000))) !== "SUCCEEDED"; i++) {
      await clock.tick(100);
    }
    expect(await status(run(T0))).toBe("SUCCEEDED");
    expect(await status(run(T0 + 5_000))).toBe("SUCCEEDED");
  });
});
