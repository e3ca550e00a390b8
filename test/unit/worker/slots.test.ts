import { describe, expect, it } from "vitest";
import { createSlots } from "../../../src/worker/slots.js";

/** Slots with `concurrency` handler slots and `startConcurrency` starts; counts the wakes. */
function slotsOf(concurrency: number, startConcurrency: number) {
  let changes = 0;
  const slots = createSlots({ concurrency, startConcurrency, changed: () => changes++ });
  /** Begins `n` starts, as the intake does while `room` allows. */
  const begin = (n: number) => {
    for (let i = 0; i < n; i++) {
      expect(slots.room()).toBeGreaterThan(0);
      slots.begin();
    }
  };
  return { slots, begin, changes: () => changes };
}

/** Lets the promise callbacks of granted slots run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe("a worker's slots: handlers in slots, starts beside them", () => {
  it("lets startConcurrency starts be in flight while every slot is free, none holding a slot", () => {
    const { slots, begin } = slotsOf(4, 16);
    expect(slots.room()).toBe(16);
    begin(16);
    expect(slots.room()).toBe(0);
    // A start holds no slot: nothing counts against the intake, no slot is full.
    expect(slots.held()).toBe(0);
    expect(slots.full()).toBe(false);
    slots.abandon();
    expect(slots.room()).toBe(1);
  });

  it("gives a started run a free slot at once, and the share of starts follows the free slots", async () => {
    const { slots, begin } = slotsOf(4, 16);
    begin(3);
    let granted = 0;
    for (let i = 0; i < 3; i++) void slots.acquire().then(() => granted++);
    await settle();
    expect(granted).toBe(3);
    expect(slots.held()).toBe(3);
    // One slot of four free: a quarter of the starts, rounded up.
    expect(slots.room()).toBe(4);
  });

  it("makes a started run wait for a slot when every slot is busy, first started first served", async () => {
    const { slots, begin } = slotsOf(2, 4);
    begin(4);
    const order: number[] = [];
    for (let i = 0; i < 4; i++) void slots.acquire().then(() => order.push(i));
    await settle();
    expect(order).toEqual([0, 1]);
    expect(slots.full()).toBe(true);
    // Runs waiting for a slot count against the intake, and no new start begins.
    expect(slots.held()).toBe(4);
    expect(slots.room()).toBe(0);
    slots.release();
    await settle();
    expect(order).toEqual([0, 1, 2]);
    slots.release();
    await settle();
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it("frees a slot when the handler returns, up to concurrency runs finishing beyond the slots", async () => {
    const { slots, begin } = slotsOf(1, 1);
    begin(1);
    await slots.acquire();
    slots.release();
    // One run finishing: the slot is free for the next.
    expect(slots.full()).toBe(false);
    expect(slots.room()).toBe(1);
    begin(1);
    await slots.acquire();
    slots.release();
    // Two finishing with concurrency 1: the second holds the slot again.
    expect(slots.full()).toBe(true);
    expect(slots.room()).toBe(0);
    slots.finished();
    expect(slots.full()).toBe(false);
    slots.finished();
    expect(slots.held()).toBe(0);
  });

  it("with startConcurrency equal to concurrency, starts take only the free slots' places", async () => {
    const { slots, begin } = slotsOf(4, 4);
    begin(2);
    await slots.acquire();
    await slots.acquire();
    expect(slots.room()).toBe(2);
    begin(2);
    expect(slots.room()).toBe(0);
  });

  it("tells the worker of every change that may let more start", async () => {
    const { slots, begin, changes } = slotsOf(2, 4);
    begin(2);
    slots.abandon();
    const acquired = slots.acquire();
    await acquired;
    slots.release();
    slots.finished();
    expect(changes()).toBe(4);
  });
});
