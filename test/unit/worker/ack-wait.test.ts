/**
 * A run whose outcome is recorded holds no slot while its message's delete
 * waits (on SQS, up to 500 ms to share a DeleteMessageBatch): the next runs
 * start meanwhile.
 */

import { afterEach, describe, expect, it } from "vitest";
import type { Delivery } from "../../../src/core/ports/work-queue.js";
import { heldHandler, NOOP, runCleanups, setup, T0 } from "../../support/fake-worker.js";

afterEach(runCleanups);

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
