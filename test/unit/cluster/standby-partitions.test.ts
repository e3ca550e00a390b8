import { describe, expect, it } from "vitest";
import { assignPartitions, standbyPartitions } from "../../../src/cluster/assignment.js";

const P = 256;

describe("standby partitions", () => {
  it("are exactly what each node gets when an owner leaves", () => {
    const nodes = ["s1", "s2", "s3", "s4", "s5"];
    const owners = assignPartitions(nodes, P);
    for (const gone of nodes) {
      const after = assignPartitions(
        nodes.filter((n) => n !== gone),
        P,
      );
      for (const node of nodes.filter((n) => n !== gone)) {
        const taken = after.flatMap((o, p) => (o === node && owners[p] === gone ? [p] : []));
        const standby = standbyPartitions(owners, node).filter((p) => owners[p] === gone);
        expect(standby).toEqual(taken);
      }
    }
  });

  it("gives every partition one standby other than its owner, and none to a lone node", () => {
    const owners = assignPartitions(["a", "b", "c"], P);
    const all = ["a", "b", "c"].flatMap((n) => standbyPartitions(owners, n).map((p) => [p, n]));
    expect(all).toHaveLength(P);
    for (const [p, n] of all) expect(owners[p as number]).not.toBe(n);
    expect(standbyPartitions(assignPartitions(["a"], P), "a")).toEqual([]);
  });
});
