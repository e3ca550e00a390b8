import { describe, expect, it } from "vitest";
import { createTimedHold } from "../../../src/core/timed-hold.js";
import { fakeClock } from "../../support/fake-clock.js";

const T = 1_800_000_000_000;

describe("a timed hold (fake clock)", () => {
  it("releases the items due within the gather window after the earliest together, earliest first", async () => {
    const clock = fakeClock(T);
    const released: string[][] = [];
    const hold = createTimedHold<string>(clock, 10, (items) => released.push(items));
    hold.add(T + 108, "c");
    hold.add(T + 100, "a");
    hold.add(T + 105, "b");
    hold.add(T + 111, "d");
    expect(hold.size).toBe(4);
    await clock.tick(109);
    expect(released).toEqual([]);
    await clock.tick(1);
    expect(released).toEqual([["a", "b", "c"]]);
    expect(hold.size).toBe(1);
    // The next round waits its own window: d's time plus 10 ms.
    await clock.tick(10);
    expect(released).toHaveLength(1);
    await clock.tick(1);
    expect(released).toEqual([["a", "b", "c"], ["d"]]);
    expect(clock.pending()).toBe(0);
  });

  it("flushes what is due at once, and drains the rest with its timer", async () => {
    const clock = fakeClock(T);
    const released: string[][] = [];
    const hold = createTimedHold<string>(clock, 50, (items) => released.push(items));
    hold.add(T, "due");
    hold.add(T + 1_000, "later");
    expect(hold.all().sort()).toEqual(["due", "later"]);
    hold.flush();
    expect(released).toEqual([["due"]]);
    expect(hold.drain()).toEqual(["later"]);
    expect(hold.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});
