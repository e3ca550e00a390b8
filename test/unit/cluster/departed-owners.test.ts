import { describe, expect, it } from "vitest";
import { departedOwners } from "../../../src/cluster/node.js";

describe("departedOwners: partitions taken over from a node that left", () => {
  it("marks a gained partition whose old owner owns nothing now", () => {
    expect([...departedOwners(["a", "b", "c"], ["a", "b", "b"], "b")]).toEqual([2]);
  });
  it("marks none at the first assignment seen (cluster start or joining)", () => {
    expect(departedOwners(undefined, ["a", "b"], "b").size).toBe(0);
  });
  it("marks none when the old owner is still a member (a join or a rebalance)", () => {
    expect(departedOwners(["a", "a"], ["a", "b"], "b").size).toBe(0);
  });
});
