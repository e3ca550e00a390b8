/**
 * Runs received ahead of their time (the scheduler's send-ahead) on a fake
 * clock: the worker holds them outside its capacity, writes no start and
 * calls no handler before their planned start, keeps them invisible while
 * held, gives them back on stop, and stops asking for more once its share
 * for them is full.
 */

import { afterEach, describe, expect, it } from "vitest";
import { AHEAD_PER_CAPACITY } from "../../../src/worker/intake.js";
import {
  heldHandler,
  NOOP,
  runCleanups,
  setup,
  T0,
  VISIBILITY_S,
} from "../../support/fake-worker.js";

afterEach(runCleanups);

/** The setup's slots and waiting room: 4 and 4. */
const CAPACITY = 8;

describe("runs received ahead of their time", () => {
  it("wait outside the capacity until their planned start, then start in the free slots", async () => {
    const held = heldHandler();
    const w = setup([held.handler]);
    const { runAt } = await w.jobWith(NOOP);
    // More than the capacity, all due 500 ms from now.
    const runs = Array.from({ length: CAPACITY + 4 }, (_, i) => runAt(T0 + 500, i + 1));
    for (const run of runs) await w.send(run, NOOP);
    // The receive loop waits 10 ms after a receive that brought fewer than it asked.
    for (let i = 0; i < 5; i++) await w.clock.tick(10);
    expect((await w.queue.depth()).visible).toBe(0);
    await w.clock.tick(449);
    expect(held.calls).toHaveLength(0);
    // No start was written before the run's time: a pause until then still wins.
    for (const run of runs) expect(await w.execution(run)).toBeUndefined();
    await w.clock.tick(1);
    await w.until("the slots filled at the runs' time", () => held.calls.length === 4);
    expect((await w.execution(runs[0]!))?.startedMs).toBe(T0 + 500);
    for (const c of held.calls) c.finish({ ok: true, summary: "done" });
    held.calls.splice(0);
    await w.until("the next four started", () => held.calls.length === 4);
  });

  it("are kept invisible while held, and given back at once on stop", async () => {
    const held = heldHandler();
    const w = setup([held.handler]);
    const { runAt } = await w.jobWith(NOOP);
    // Due after two heartbeats (every third of the visibility timeout).
    const run = runAt(T0 + VISIBILITY_S * 1000);
    await w.send(run, NOOP);
    await w.until("received", async () => (await w.queue.depth()).inFlight === 1);
    await w.clock.tick(((VISIBILITY_S * 1000) / 3) * 2 + 1);
    const heartbeats = w.extendAlls.filter((e) => e.seconds === VISIBILITY_S);
    expect(heartbeats).toEqual([
      { runs: [run.scheduledMs], seconds: VISIBILITY_S },
      { runs: [run.scheduledMs], seconds: VISIBILITY_S },
    ]);
    expect(held.calls).toHaveLength(0);
    await w.stop();
    expect(w.extendAlls.at(-1)).toEqual({ runs: [run.scheduledMs], seconds: 0 });
    expect((await w.queue.depth()).visible).toBe(1);
    expect(held.calls).toHaveLength(0);
  });

  it("fill a share of their own: the receive loop stops asking while it is full", async () => {
    const held = heldHandler();
    const w = setup([held.handler]);
    const { runAt } = await w.jobWith(NOOP);
    const share = CAPACITY * AHEAD_PER_CAPACITY;
    const total = share + 30;
    for (let i = 0; i < total; i++) await w.send(runAt(T0 + 60_000, i + 1), NOOP);
    const settle = async () => {
      for (let i = 0; i < 50; i++) await w.clock.tick(10);
    };
    await settle();
    // The loop asks for up to the free capacity a receive, so it may pass the share by one receive.
    const { visible, inFlight } = await w.queue.depth();
    expect(inFlight).toBeGreaterThanOrEqual(share);
    expect(inFlight).toBeLessThanOrEqual(share + CAPACITY);
    expect(visible).toBe(total - inFlight);
    await settle();
    expect((await w.queue.depth()).visible).toBe(visible);
  });
});
