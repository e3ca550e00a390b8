import { describe, expect, it } from "vitest";
import { createSlots, START_SLOT_MS, type StartToken } from "../../../src/worker/slots.js";
import { fakeClock } from "../../support/fake-clock.js";

/** Slots with `concurrency` handler slots, letting `beyond` slow starts give theirs back. */
function slotsOf(concurrency: number, beyond: number) {
  const clock = fakeClock(0);
  let changes = 0;
  const slots = createSlots({ concurrency, beyond, clock, changed: () => changes++ });
  /** Begins `n` starts, as the intake does while `room` allows. */
  const begin = (n: number): StartToken[] =>
    Array.from({ length: n }, () => {
      expect(slots.room()).toBeGreaterThan(0);
      return slots.begin();
    });
  return { slots, begin, clock, changes: () => changes };
}

/** Lets the promise callbacks of granted slots run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe("a worker's slots: a start holds a slot, unless the store stalls", () => {
  it("a start takes a free slot and keeps it for its handler, as long as the store answers in time", async () => {
    const { slots, begin, clock } = slotsOf(2, 8);
    const [a, b] = begin(2);
    expect(slots.room()).toBe(0);
    expect(slots.full()).toBe(true);
    await clock.tick(START_SLOT_MS - 1);
    await slots.acquire(a!);
    expect(slots.room()).toBe(0);
    slots.abandon(b!);
    expect(slots.room()).toBe(1);
    // Past the lending time, a start that became a handler lends nothing.
    await clock.tick(START_SLOT_MS);
    expect(slots.room()).toBe(1);
  });

  it("a start that outlasts START_SLOT_MS gives its slot back: the next runs begin theirs beside it", async () => {
    const { slots, begin, clock } = slotsOf(2, 8);
    begin(2);
    expect(slots.room()).toBe(0);
    await clock.tick(START_SLOT_MS);
    expect(slots.room()).toBe(2);
    // Slow starts no longer count against the intake, nor fill the slots.
    expect(slots.held()).toBe(0);
    expect(slots.full()).toBe(false);
    begin(2);
    expect(slots.room()).toBe(0);
  });

  it("lends at most `beyond` slots at once; beyond that a slow start keeps its slot", async () => {
    const { slots, begin, clock } = slotsOf(4, 2);
    begin(4);
    await clock.tick(START_SLOT_MS);
    expect(slots.room()).toBe(2);
  });

  it("never lends with beyond 0: a start holds its slot until it ends", async () => {
    const { slots, begin, clock } = slotsOf(2, 0);
    begin(2);
    await clock.tick(10 * START_SLOT_MS);
    expect(slots.room()).toBe(0);
  });

  it("a slow start that ends with its run started waits for a slot, first started first served", async () => {
    const { slots, begin, clock } = slotsOf(1, 8);
    const [slow] = begin(1);
    await clock.tick(START_SLOT_MS);
    const [next] = begin(1);
    await clock.tick(START_SLOT_MS);
    // A third start holds the one slot while the two slow ones end.
    const [third] = begin(1);
    const order: string[] = [];
    void slots.acquire(slow!).then(() => order.push("slow"));
    void slots.acquire(next!).then(() => order.push("next"));
    await settle();
    expect(order).toEqual([]);
    // Runs waiting for a slot count against the intake, and take the next free slot first.
    expect(slots.held()).toBe(3);
    slots.abandon(third!);
    await settle();
    expect(order).toEqual(["slow"]);
    expect(slots.room()).toBe(0);
    slots.release();
    await settle();
    expect(order).toEqual(["slow", "next"]);
  });

  it("a started HIGH run waiting for a slot gets the next one before lower runs started earlier", async () => {
    const { slots, clock } = slotsOf(1, 8);
    const low = slots.begin("LOW");
    await clock.tick(START_SLOT_MS);
    const medium = slots.begin("MEDIUM");
    await clock.tick(START_SLOT_MS);
    const high = slots.begin("HIGH");
    await clock.tick(START_SLOT_MS);
    // A fourth start holds the one slot while the three slow ones end, lowest first.
    const holder = slots.begin("LOW");
    const order: string[] = [];
    void slots.acquire(low).then(() => order.push("LOW"));
    void slots.acquire(medium).then(() => order.push("MEDIUM"));
    void slots.acquire(high).then(() => order.push("HIGH"));
    await settle();
    expect(slots.held()).toBe(4);
    slots.abandon(holder);
    await settle();
    expect(order).toEqual(["HIGH"]);
    // Each handler returns and its run finishes: the slot goes to the next waiting run.
    for (const n of [2, 3]) {
      slots.release();
      slots.finished();
      await settle();
      expect(order).toHaveLength(n);
    }
    expect(order).toEqual(["HIGH", "MEDIUM", "LOW"]);
  });

  it("frees a slot when the handler returns, up to concurrency runs finishing beyond the slots", async () => {
    const { slots, begin } = slotsOf(1, 0);
    await slots.acquire(begin(1)[0]!);
    slots.release();
    // One run finishing: the slot is free for the next.
    expect(slots.full()).toBe(false);
    expect(slots.room()).toBe(1);
    await slots.acquire(begin(1)[0]!);
    slots.release();
    // Two finishing with concurrency 1: the second holds the slot again.
    expect(slots.full()).toBe(true);
    expect(slots.room()).toBe(0);
    slots.finished();
    expect(slots.full()).toBe(false);
    slots.finished();
    expect(slots.held()).toBe(0);
  });

  it("tells the worker of every change that may let more start", async () => {
    const { slots, begin, clock, changes } = slotsOf(2, 8);
    const [a, b] = begin(2);
    await clock.tick(START_SLOT_MS);
    expect(changes()).toBe(2);
    slots.abandon(a!);
    await slots.acquire(b!);
    slots.release();
    slots.finished();
    expect(changes()).toBe(6);
  });
});
