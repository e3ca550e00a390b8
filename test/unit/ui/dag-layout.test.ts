/** The workflow picture's columns: topological depth, every edge pointing right. */

import { describe, expect, it } from "vitest";
import { depths } from "../../../ui/src/charts/dag-layout.js";

const node = (key: string, ...dependsOn: string[]) => ({ key, dependsOn });

describe("the DAG layout", () => {
  it("puts roots at 0 and a node one column right of its deepest dependency", () => {
    const d = depths([
      node("report", "clean", "extract"),
      node("extract"),
      node("clean", "extract"),
      node("notify", "report"),
      node("audit"),
    ]);
    expect(Object.fromEntries(d)).toEqual({ extract: 0, clean: 1, report: 2, notify: 3, audit: 0 });
  });

  it("puts every dependency strictly left of its dependant", () => {
    const nodes = [
      node("a"),
      node("b", "a"),
      node("c", "a"),
      node("d", "b", "c"),
      node("e", "a", "d"),
    ];
    const d = depths(nodes);
    for (const n of nodes)
      for (const dep of n.dependsOn) expect(d.get(dep)!).toBeLessThan(d.get(n.key)!);
  });

  it("ignores unknown dependencies and does not loop on a cycle", () => {
    expect(Object.fromEntries(depths([node("a", "ghost")]))).toEqual({ a: 0 });
    const d = depths([node("a", "b"), node("b", "a")]);
    expect([...d.keys()].sort()).toEqual(["a", "b"]);
  });
});
