/**
 * The worker's queue calls on a fake clock: what the receive loop asks for
 * while one queue has the work (the other queues' standby polls stand for
 * them, and the one left is asked with a long poll, not a short one that
 * comes back empty before it), and a run's delete that waits for a batch
 * (on SQS up to 500 ms), which holds no slot.
 */

import { afterEach, describe, expect, it } from "vitest";
import type { Delivery } from "../../../src/core/ports/work-queue.js";
import type { Priority } from "../../../src/core/priority.js";
import { RECEIVE_GATHER_MS } from "../../../src/worker/receiver.js";
import { heldHandler, NOOP, runCleanups, setup, T0 } from "../../support/fake-worker.js";

afterEach(runCleanups);

describe("the receive loop's polls", () => {
  it("asks the one queue left with a long poll: rounds of MEDIUM runs make no empty short poll", async () => {
    const held = heldHandler();
    const w = setup([held.handler], { concurrency: 8 });
    const { runAt } = await w.jobWith(NOOP);
    const calls: Array<{ priority: Priority; waitMs: number; got: number }> = [];
    const receive = w.queue.receive.bind(w.queue);
    w.queue.receive = async (max, waitMs, signal, priority = "MEDIUM") => {
      const got = await receive(max, waitMs, signal, priority);
      calls.push({ priority, waitMs, got: got.length });
      return got;
    };
    for (let round = 0; round < 3; round++) {
      // Due already (a run due later waits for its time in the intake).
      const runs = [0, 1, 2].map((i) => ({ ...runAt(T0 - 1_000 + round * 10 + i), target: NOOP }));
      await w.queue.send(runs);
      await w.until(`round ${round} started`, () => held.calls.length === 3 * (round + 1));
      for (const call of held.calls.slice(-3)) call.finish({ ok: true, summary: "done" });
      await w.clock.tick(RECEIVE_GATHER_MS);
    }
    const medium = calls.filter((c) => c.priority === "MEDIUM");
    expect(medium.filter((c) => c.waitMs === 0 && c.got === 0)).toEqual([]);
    expect(medium.filter((c) => c.waitMs > 0 && c.got > 0).length).toBeGreaterThanOrEqual(3);
    // HIGH and LOW were not asked again: their standby polls still stand.
    expect(calls.filter((c) => c.priority !== "MEDIUM")).toEqual([]);
  });
});

describe("a run's delete that waits", () => {
  it("holds no slot: with one slot, three runs start while the first two deletes wait", async () => {
    const held = heldHandler();
    const w = setup([held.handler], { concurrency: 1 });
    const { runAt } = await w.jobWith(NOOP);
    const waiting: Array<() => void> = [];
    const ack = w.queue.ack.bind(w.queue);
    w.queue.ack = (delivery: Delivery) =>
      new Promise<void>((resolve) => waiting.push(() => void ack(delivery).then(resolve)));
    const runs = [0, 1, 2].map((i) => ({ ...runAt(T0 - 1_000 + i), target: NOOP }));
    await w.queue.send(runs);
    for (let n = 1; n <= 3; n++) {
      await w.until(`run ${n} started`, () => held.calls.length === n);
      held.calls[n - 1]!.finish({ ok: true, summary: "done" });
      await w.until(`run ${n} recorded`, async () => {
        const execution = await w.execution(runs[n - 1]!);
        return execution?.status === "SUCCEEDED";
      });
    }
    expect(held.calls).toHaveLength(3);
    // The deletes still wait; once done, nothing is left in flight.
    await w.until("the three deletes asked", () => waiting.length === 3);
    for (const done of waiting) done();
    await w.until("the queue emptied", async () => (await w.queue.depth()).inFlight === 0);
  });
});
