import { describe, expect, it } from "vitest";
import { inOrder } from "../../../src/core/in-order.js";

describe("inOrder", () => {
  it("starts items in their order, never more than the limit at once", async () => {
    const started: number[] = [];
    let running = 0;
    let most = 0;
    await inOrder([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 8 - n));
      running--;
    });
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it("rejects with the first failure, and does nothing for no items", async () => {
    await expect(
      inOrder([1, 2], 2, async (n) => {
        if (n === 2) throw new Error("two");
      }),
    ).rejects.toThrow("two");
    await inOrder([], 4, async () => {
      throw new Error("never");
    });
  });
});
