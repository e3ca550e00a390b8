/**
 * The worker on a fake clock with the in-memory adapters: a run is started
 * once however often it is delivered, a handler's timeout fires when the
 * clock passes it, a failed run's retry waits its backoff, runs waiting in
 * the intake are kept invisible every third of the visibility timeout (one
 * extendAll for all of them), and a stop gives them back at once. No test
 * here waits on the wall clock: time moves only by `clock.tick`.
 */

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { executionId, type RunRef } from "../../../src/core/execution.js";
import type { JobTarget } from "../../../src/core/job.js";
import { type ExecutionStore, StartInDoubt } from "../../../src/core/ports/execution-store.js";
import type { JobStore } from "../../../src/core/ports/job-store.js";
import type { JobHandler } from "../../../src/worker/handlers/handler.js";
import { createHttpHandler } from "../../../src/worker/handlers/http.js";
import { RECEIVE_GATHER_MS } from "../../../src/worker/receiver.js";
import {
  cleanups,
  DRAIN_MS,
  heldHandler,
  NOOP,
  runCleanups,
  setup,
  T0,
  VISIBILITY_S,
} from "../../support/fake-worker.js";

afterEach(runCleanups);

describe("the worker on a fake clock", () => {
  it("starts a run once: a second delivery of it is acknowledged without running", async () => {
    const held = heldHandler();
    const w = setup([held.handler]);
    const { runAt } = await w.jobWith(NOOP);
    const run = runAt(T0);
    await w.send(run, NOOP);
    await w.until("the run started", () => held.calls.length === 1);
    // SQS delivers at least once: the same run arrives again while it runs.
    await w.send(run, NOOP);
    await w.until("the duplicate was dropped", async () => (await w.duplicates()) === "1");
    expect(held.calls).toHaveLength(1);
    expect((await w.queue.depth()).visible + (await w.queue.depth()).inFlight).toBe(1);

    held.calls[0]!.finish({ ok: true, summary: "done" });
    await w.until(
      "the run succeeded",
      async () => (await w.execution(run))?.status === "SUCCEEDED",
    );
    // After its visibility timeout, nothing comes back: both messages were acknowledged.
    await w.clock.tick(VISIBILITY_S * 1000 * 2);
    expect(held.calls).toHaveLength(1);
    expect(await w.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("takes a HIGH run into its reserve while a burst fills every slot and the buffer, and starts it within three free slots", async () => {
    const held = heldHandler();
    // 4 slots and 4 waiting: capacity 8, a HIGH reserve of 1.
    const w = setup([held.handler]);
    const { job, runAt } = await w.jobWith(NOOP);
    // Due already (a run due later would wait for its time outside the capacity).
    const burst = Array.from({ length: 12 }, (_, i) => runAt(T0 - 12 + i));
    for (const run of burst) await w.send(run, NOOP);
    await w.until("the slots full", () => held.calls.length === 4);
    // The receive loop gathers for 10 ms after a short receive.
    const gather = async () => {
      for (let i = 0; i < 5; i++) await w.clock.tick(10);
    };
    await gather();
    await w.until(
      "the buffer full, the rest left in the queue",
      async () => (await w.queue.depth()).visible === 4,
    );
    const { job: highJob, runAt: highRunAt } = await w.jobWith(NOOP, { priority: "HIGH" });
    const high = highRunAt(T0 - 1);
    await w.queue.send([{ ...high, target: NOOP, priority: "HIGH" }]);
    await gather();
    // Received at once, beyond the capacity: the queue holds only the burst's rest.
    await w.until("the HIGH run received", async () => (await w.queue.depth()).inFlight === 9);
    expect((await w.queue.depth()).visible).toBe(4);

    // The intake's cycle gives HIGH 4 turns of 7 (MEDIUM's 2 may come first):
    // it starts within three free slots, ahead of the 4 runs waiting before it.
    const startedHigh = () => held.calls.some((c) => c.executionId === executionId(high));
    for (let i = 0; i < 3 && !startedHigh(); i++) {
      held.calls.find((c) => !c.signal.aborted)!.finish({ ok: true, summary: "done" });
      held.calls.splice(0, 1);
      await w.until("the next run started", () => held.calls.length === 4);
      await gather();
    }
    expect(startedHigh()).toBe(true);
    expect(job.id).not.toBe(highJob.id);
  });

  it("fires a handler's timeout when the clock passes it, not before", async () => {
    const requests: IncomingMessage[] = [];
    const server: Server = createServer((req) => requests.push(req));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const agent = new Agent();
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await agent.close();
    });
    const { port } = server.address() as AddressInfo;
    const target: JobTarget = {
      type: "http",
      method: "GET",
      url: `http://127.0.0.1:${port}/hang`,
      headers: {},
      timeoutMs: 60_000,
    };
    // A worker whose http handler's deadline is on the fake clock.
    const timed = setup((clock) => [createHttpHandler({ dispatcher: agent, clock })]);
    const { runAt } = await timed.jobWith(target);
    const run = runAt(T0);
    await timed.send(run, target);
    await timed.until("the request reached the target", () => requests.length === 1);

    await timed.clock.tick(59_999);
    expect((await timed.execution(run))?.status).toBe("RUNNING");
    await timed.clock.tick(1);
    await timed.until(
      "the run failed",
      async () => (await timed.execution(run))?.status === "FAILED",
    );
    expect((await timed.execution(run))?.error).toContain("timed out after 60000 ms");
  });

  it("sends a failed run's retry after its backoff, and starts it then", async () => {
    const attempts: number[] = [];
    const failing: JobHandler = {
      type: "noop",
      run: async (_target, ctx) => {
        attempts.push(ctx.attempt);
        return { ok: false, summary: "boom", retryable: true };
      },
    };
    const w = setup([failing]);
    const retryPolicy = {
      strategy: "ON_FAILURE" as const,
      maxRetries: 2,
      backoff: "EXPONENTIAL" as const,
      retryDelayMs: 10_000,
      maxDelayMs: 3_600_000,
      jitter: 0,
    };
    const { runAt } = await w.jobWith(NOOP, { retryPolicy });
    await w.send(runAt(T0), NOOP);
    await w.until(
      "attempt 1 failed",
      async () => (await w.execution(runAt(T0)))?.status === "FAILED",
    );
    expect(attempts).toEqual([1]);
    expect((await w.execution(runAt(T0, 2)))?.status).toBe("QUEUED");

    // Exponential: 10 s before attempt 2, 20 s before attempt 3.
    await w.clock.tick(9_000);
    expect(attempts).toEqual([1]);
    await w.clock.tick(1_000);
    await w.until("attempt 2 ran", () => attempts.length === 2);
    await w.clock.tick(19_000);
    expect(attempts).toEqual([1, 2]);
    await w.clock.tick(1_000);
    await w.until("attempt 3 ran", () => attempts.length === 3);
    expect(attempts).toEqual([1, 2, 3]);
    await w.clock.tick(3_600_000);
    expect(attempts).toHaveLength(3);
  });

  it("keeps waiting runs invisible every third of the visibility timeout, and gives them back on stop", async () => {
    const held = heldHandler();
    const w = setup([held.handler], { concurrency: 1 });
    const { runAt } = await w.jobWith(NOOP);
    await w.send(runAt(T0), NOOP);
    await w.until("the first run started", () => held.calls.length === 1);
    await w.send(runAt(T0 + 1), NOOP);
    await w.send(runAt(T0 + 2), NOOP);
    // A poll that brought a trickle keeps its queue for the receive gather.
    await w.clock.tick(RECEIVE_GATHER_MS);
    await w.until(
      "two runs wait in the intake",
      async () => (await w.queue.depth()).inFlight === 3,
    );

    // Every 10 s (from the first one's arrival) one extendAll covers both waiting runs.
    const heartbeats = () => w.extendAlls.filter((e) => e.seconds === VISIBILITY_S);
    await w.clock.tick(9_999 - RECEIVE_GATHER_MS);
    expect(heartbeats()).toHaveLength(0);
    await w.clock.tick(1);
    expect(heartbeats()).toEqual([{ runs: [T0 + 1, T0 + 2], seconds: VISIBILITY_S }]);
    await w.clock.tick(20_000);
    expect(heartbeats()).toHaveLength(3);
    // Long past the visibility timeout, the waiting runs were not delivered again.
    await w.clock.tick(60_000);
    expect(await w.queue.depth()).toMatchObject({ visible: 0, inFlight: 3 });

    // A stop gives the waiting runs back at once, then waits for the running one.
    // (once the receive loop's long polls, 5 s at most, have returned).
    const stopping = w.worker.stop();
    const released = () => w.extendAlls.at(-1)?.seconds === 0;
    for (let i = 0; i < 60 && !released(); i++) await w.clock.tick(100);
    expect(await w.queue.depth()).toMatchObject({ visible: 2, inFlight: 1 });
    expect(w.extendAlls.at(-1)).toEqual({ runs: [T0 + 1, T0 + 2], seconds: 0 });
    expect(held.calls).toHaveLength(1);
    // The running one is aborted when the drain timeout passes, counted from
    // the end of the receive loop (its long polls, 5 s at most).
    await w.clock.tick(DRAIN_MS - 1_000);
    expect(held.calls[0]!.signal.aborted).toBe(false);
    await w.clock.tick(1_000 + 5_000);
    expect(held.calls[0]!.signal.aborted).toBe(true);
    await stopping;
  });
});

describe("a start in doubt (written, its job check and its take-back failed)", () => {
  /** The first start is written, then reported in doubt, as the DynamoDB store does on a double fault; `before` runs between. */
  const doubtOnce =
    (before: (jobs: JobStore, run: RunRef) => Promise<void> = async () => {}) =>
    (e: ExecutionStore, jobs: JobStore): ExecutionStore => {
      let first = true;
      /** The store stays away a moment: the next read of an execution fails too. */
      let down = false;
      return {
        ...e,
        async startExecution(run, ...rest) {
          const outcome = await e.startExecution(run, ...rest);
          if (!first || outcome !== "started") return outcome;
          first = false;
          down = true;
          await before(jobs, run);
          throw new StartInDoubt(new Error("injected: store unavailable"));
        },
        async getExecution(scope, id) {
          if (down) {
            down = false;
            throw new Error("injected: store unavailable");
          }
          return e.getExecution(scope, id);
        },
      };
    };

  it("is settled by the worker that wrote it: the job is checked, the run starts once", async () => {
    const held = heldHandler();
    const w = setup([held.handler], { wrapExecutions: doubtOnce() });
    const { runAt } = await w.jobWith(NOOP);
    const run = runAt(T0);
    await w.send(run, NOOP);
    await w.until("the run started", () => held.calls.length === 1);
    held.calls[0]!.finish({ ok: true, summary: "done" });
    await w.until("succeeded", async () => (await w.execution(run))?.status === "SUCCEEDED");
    await w.clock.tick(VISIBILITY_S * 1000 * 2);
    expect(held.calls).toHaveLength(1);
  });

  it("a job paused meanwhile ends the run CANCELLED, its handler never called", async () => {
    const held = heldHandler();
    const pause = async (jobs: JobStore, run: RunRef) => {
      await jobs.updateJob(run.tenant, run.jobId, { status: "PAUSED", nextRunMs: null }, {}, T0);
    };
    const w = setup([held.handler], { wrapExecutions: doubtOnce(pause) });
    const { runAt } = await w.jobWith(NOOP);
    const run = runAt(T0);
    await w.send(run, NOOP);
    await w.until("cancelled", async () => (await w.execution(run))?.status === "CANCELLED");
    expect((await w.execution(run))?.error).toBe(
      "the job was paused or cancelled before the run started",
    );
    await w.clock.tick(VISIBILITY_S * 1000 * 2);
    expect(held.calls).toHaveLength(0);
  });
});
