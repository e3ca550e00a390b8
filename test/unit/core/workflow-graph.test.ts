import { describe, expect, it } from "vitest";
import { ChronoringError } from "../../../src/core/errors.js";
import { advance, type GraphNode, topologicalOrder } from "../../../src/core/workflow/graph.js";
import type { NodeRunStatus } from "../../../src/core/workflow/workflow.js";

const node = (key: string, ...dependsOn: string[]): GraphNode => ({ key, dependsOn });
const diamond = [node("a"), node("b", "a"), node("c", "a"), node("d", "b", "c")];

function rejection(nodes: GraphNode[]): { field?: string; message: string } {
  try {
    topologicalOrder(nodes);
  } catch (err) {
    if (err instanceof ChronoringError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error("accepted");
}

describe("topologicalOrder", () => {
  it("puts every node after its upstreams, whatever the input order", () => {
    const order = topologicalOrder([...diamond].reverse());
    const at = (k: string) => order.indexOf(k);
    expect(order).toHaveLength(4);
    expect(at("a")).toBeLessThan(at("b"));
    expect(at("a")).toBeLessThan(at("c"));
    expect(at("b")).toBeLessThan(at("d"));
    expect(at("c")).toBeLessThan(at("d"));
  });

  it("names a cycle in edge order under the field nodes", () => {
    const r = rejection([node("a", "c"), node("b", "a"), node("c", "b"), node("x")]);
    expect(r.field).toBe("nodes");
    // Any rotation of a → b → c → a is the same cycle.
    expect(r.message).toMatch(/cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/);
  });

  it("names a self-loop and a cycle downstream of a valid part", () => {
    expect(rejection([node("a", "a")]).message).toContain("cycle: a → a");
    const r = rejection([node("root"), node("p", "root", "q"), node("q", "p"), node("z", "q")]);
    expect(r.message).toMatch(/cycle: (p → q → p|q → p → q)/);
  });

  it("rejects bad input naming the field", () => {
    expect(rejection([]).field).toBe("nodes");
    expect(rejection([node("a"), node("a")]).field).toBe("nodes[1].key");
    expect(rejection([node("A")]).field).toBe("nodes[0].key");
    expect(rejection([node("a"), node("b", "a", "zz")]).field).toBe("nodes[1].depends_on[1]");
    expect(rejection([node("a"), node("b", "a", "a")]).field).toBe("nodes[1].depends_on[1]");
    const many = Array.from({ length: 101 }, (_, i) => node(`n${i}`));
    expect(rejection(many).field).toBe("nodes");
  });
});

describe("advance (who is ready)", () => {
  const run = (s: Record<string, NodeRunStatus>) => advance(diamond, new Map(Object.entries(s)));

  it("makes the join ready only when both upstreams succeeded", () => {
    expect(run({ a: "SUCCEEDED", b: "SUCCEEDED", c: "QUEUED", d: "PENDING" }).ready).toEqual([]);
    expect(run({ a: "SUCCEEDED", b: "SUCCEEDED", c: "SUCCEEDED", d: "PENDING" })).toEqual({
      ready: ["d"],
      skipped: [],
    });
    expect(run({ a: "SUCCEEDED", b: "PENDING", c: "PENDING", d: "PENDING" }).ready).toEqual([
      "b",
      "c",
    ]);
  });

  it("skips the transitive downstream of a failure and ends FAILED", () => {
    expect(run({ a: "FAILED", b: "PENDING", c: "PENDING", d: "PENDING" })).toEqual({
      ready: [],
      skipped: ["b", "c", "d"],
      done: "FAILED",
    });
    const partial = run({ a: "SUCCEEDED", b: "FAILED", c: "RUNNING", d: "PENDING" });
    expect(partial).toEqual({ ready: [], skipped: ["d"] });
  });

  it("ends SUCCEEDED only when every node succeeded", () => {
    const all = { a: "SUCCEEDED", b: "SUCCEEDED", c: "SUCCEEDED", d: "SUCCEEDED" } as const;
    expect(run(all).done).toBe("SUCCEEDED");
  });
});
