import { describe, expect, it } from "vitest";
import type { Priority } from "../../../src/core/priority.js";
import { RECEIVE_CYCLE, receiveOrder, splitSlots } from "../../../src/worker/priority-order.js";

/** Takes `receives` runs one at a time from backlogs of the given sizes, by the rule. */
function simulate(backlog: Record<Priority, number>, receives: number): Priority[] {
  const left = { ...backlog };
  const taken: Priority[] = [];
  for (let n = 0; n < receives; n++) {
    const from = receiveOrder(n).find((p) => left[p] > 0);
    if (!from) break;
    left[from]--;
    taken.push(from);
  }
  return taken;
}

const count = (list: Priority[], p: Priority) => list.filter((x) => x === p).length;

describe("the receive order (weighted round robin over the priority queues)", () => {
  it("asks HIGH first 4 times, MEDIUM twice and LOW once in every 7 receives", () => {
    expect(RECEIVE_CYCLE).toEqual(["HIGH", "HIGH", "HIGH", "HIGH", "MEDIUM", "MEDIUM", "LOW"]);
    const firsts = Array.from({ length: 70 }, (_, n) => receiveOrder(n)[0]);
    for (let start = 0; start + 7 <= firsts.length; start++) {
      const window = firsts.slice(start, start + 7) as Priority[];
      expect([count(window, "HIGH"), count(window, "MEDIUM"), count(window, "LOW")]).toEqual([
        4, 2, 1,
      ]);
    }
  });

  it("falls through the other queues highest first", () => {
    expect(receiveOrder(0)).toEqual(["HIGH", "MEDIUM", "LOW"]);
    expect(receiveOrder(4)).toEqual(["MEDIUM", "HIGH", "LOW"]);
    expect(receiveOrder(6)).toEqual(["LOW", "HIGH", "MEDIUM"]);
    expect(receiveOrder(13)).toEqual(["LOW", "HIGH", "MEDIUM"]);
  });

  it("gives every priority its minimum share while all have a backlog (4:2:1)", () => {
    const taken = simulate({ HIGH: 100, MEDIUM: 100, LOW: 100 }, 70);
    expect([count(taken, "HIGH"), count(taken, "MEDIUM"), count(taken, "LOW")]).toEqual([
      40, 20, 10,
    ]);
  });

  it("lets HIGH overtake a LOW backlog while LOW still gets 1 receive in 7", () => {
    const taken = simulate({ HIGH: 30, MEDIUM: 0, LOW: 30 }, 35);
    // MEDIUM's turns fall through to HIGH: 6 HIGH and 1 LOW in every 7.
    for (let start = 0; start + 7 <= 35; start += 7) {
      const window = taken.slice(start, start + 7);
      expect(count(window, "LOW")).toBe(1);
      expect(count(window, "HIGH")).toBe(6);
    }
  });

  it("takes a lone priority at full speed (turns of empty queues fall through)", () => {
    expect(simulate({ HIGH: 0, MEDIUM: 0, LOW: 20 }, 20)).toEqual(Array(20).fill("LOW"));
    expect(simulate({ HIGH: 0, MEDIUM: 20, LOW: 0 }, 20)).toEqual(Array(20).fill("MEDIUM"));
  });

  it("never starves LOW: each window of 7 receives with a LOW backlog takes one", () => {
    const taken = simulate({ HIGH: 1000, MEDIUM: 1000, LOW: 5 }, 35);
    for (let start = 0; start + 7 <= 35; start++) {
      expect(count(taken.slice(start, start + 7), "LOW")).toBe(1);
    }
  });
});

describe("splitting free slots over idle long polls", () => {
  it("never asks for more than the free slots when there are at least as many as queues", () => {
    for (let free = 3; free <= 40; free++) {
      const split = splitSlots(free, ["HIGH", "MEDIUM", "LOW"]);
      const total = [...split.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(free);
      expect(split.size).toBe(3);
    }
    expect(Object.fromEntries(splitSlots(16, ["HIGH", "MEDIUM", "LOW"]))).toEqual({
      HIGH: 6,
      MEDIUM: 5,
      LOW: 5,
    });
  });

  it("asks for runs, not messages: one queue's poll asks for every free slot, beyond 10", () => {
    // The queue asks SQS for about that many runs: 4 messages of 10 for 48.
    expect(Object.fromEntries(splitSlots(48, ["MEDIUM"]))).toEqual({ MEDIUM: 48 });
    expect(Object.fromEntries(splitSlots(48, ["HIGH", "MEDIUM", "LOW"]))).toEqual({
      HIGH: 16,
      MEDIUM: 16,
      LOW: 16,
    });
  });

  it("still watches every queue with fewer free slots than queues (extras are given back)", () => {
    expect(Object.fromEntries(splitSlots(1, ["HIGH", "MEDIUM", "LOW"]))).toEqual({
      HIGH: 1,
      MEDIUM: 1,
      LOW: 1,
    });
    expect(Object.fromEntries(splitSlots(2, ["MEDIUM", "LOW"]))).toEqual({ MEDIUM: 1, LOW: 1 });
  });
});
