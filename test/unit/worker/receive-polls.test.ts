/**
 * What the receive loop asks SQS for while one queue has the work: the
 * other queues' standby polls stand for them, and the one left is asked
 * with a long poll, not a short one that comes back empty before it.
 */

import { afterEach, describe, expect, it } from "vitest";
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
