/**
 * A start that outlasts START_SLOT_MS gives its slot back: a worker on a
 * fake clock whose store holds one run's start write back still runs the
 * next runs' handlers in its one slot, and the held run, once started,
 * waits for the slot. With `startsBeyondSlots` 0 (the library's default) the
 * held start keeps the slot, as before.
 */

import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryAdapters } from "../../../src/adapters/memory/adapters.js";
import { executionId, type RunRef } from "../../../src/core/execution.js";
import type { HandlerResult, JobHandler } from "../../../src/worker/handlers/handler.js";
import { createHandlerRegistry } from "../../../src/worker/handlers/registry.js";
import { createWorkerMetrics } from "../../../src/worker/metrics.js";
import { startWorker } from "../../../src/worker/worker.js";
import { fakeClock } from "../../support/fake-clock.js";
import { makeJob } from "../../support/jobs.js";

const T0 = Date.UTC(2030, 0, 1);
const NOOP = { type: "noop", sleepMs: 0 } as const;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(startsBeyondSlots: number) {
  const clock = fakeClock(T0);
  const stores = createMemoryAdapters({ clock, visibilityTimeoutS: 30, maxReceiveCount: 10 });
  const { jobs, queue } = stores;
  /** The start write of the first run waits until the test lets it through. */
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  let first = true;
  const executions = {
    ...stores.executions,
    async startExecution(...args: Parameters<typeof stores.executions.startExecution>) {
      if (first) {
        first = false;
        await held;
      }
      return stores.executions.startExecution(...args);
    },
  };
  /** Handlers the test finishes by hand, by execution id. */
  const calls = new Map<string, (r: HandlerResult) => void>();
  const handler: JobHandler = {
    type: "noop",
    run: (_t, ctx) => new Promise((resolve) => calls.set(ctx.executionId, resolve)),
  };
  const worker = startWorker({
    queue,
    jobs,
    executions,
    handlers: createHandlerRegistry([handler]),
    clock,
    logger: pino({ level: "silent" }),
    metrics: createWorkerMetrics(new Registry()),
    options: {
      id: "w1",
      concurrency: 1,
      startsBeyondSlots,
      visibilityTimeoutS: 30,
      drainTimeoutMs: 1000,
    },
  });
  cleanups.push(async () => {
    release();
    for (const finish of calls.values()) finish({ ok: true, summary: "done" });
    const done = worker.stop();
    for (let i = 0; i < 10; i++) await clock.tick(1000);
    await done;
  });
  const runs: RunRef[] = [];
  for (let i = 0; i < 3; i++) {
    const job = makeJob(8, { nextRunMs: T0 + i });
    await jobs.createJob(job);
    runs.push({ ...job, jobId: job.id, scheduledMs: T0 + i, attempt: 1, manual: false });
  }
  // One at a time, so that the first received is the first whose start is held.
  for (const run of runs) {
    await queue.send([{ ...run, target: NOOP }]);
    await clock.tick(20);
  }
  const ids = runs.map((r) => executionId(r));
  /** Lets the worker react (a few fake ms a turn) until `check` holds, or gives up. */
  async function until(check: () => boolean): Promise<boolean> {
    for (let i = 0; i < 500 && !check(); i++) await clock.tick(5);
    return check();
  }
  return { ids, calls, release, until };
}

describe("a start slower than START_SLOT_MS gives its slot back", () => {
  it("runs the next runs' handlers while the first run's start write is held", async () => {
    const t = await setup(4);
    // The first run's start is held; the second runs in the one slot.
    expect(await t.until(() => t.calls.has(t.ids[1]!))).toBe(true);
    expect(t.calls.has(t.ids[0]!)).toBe(false);
    // The third waits in the intake while the slot runs the second's handler.
    expect(await t.until(() => t.calls.has(t.ids[2]!))).toBe(false);
    t.calls.get(t.ids[1]!)!({ ok: true, summary: "done" });
    expect(await t.until(() => t.calls.has(t.ids[2]!))).toBe(true);
    // Once its write goes through, the first run waits for the slot, then runs.
    t.release();
    t.calls.get(t.ids[2]!)!({ ok: true, summary: "done" });
    expect(await t.until(() => t.calls.has(t.ids[0]!))).toBe(true);
  });

  it("with startsBeyondSlots 0, a held start keeps its slot", async () => {
    const t = await setup(0);
    expect(await t.until(() => t.calls.size > 0)).toBe(false);
    t.release();
    expect(await t.until(() => t.calls.has(t.ids[0]!))).toBe(true);
    expect(t.calls.size).toBe(1);
  });
});
