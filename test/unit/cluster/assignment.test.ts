import { describe, expect, it } from "vitest";
import {
  assignPartitions,
  carrySince,
  epochBase,
  movedPartitions,
  partitionsOf,
} from "../../../src/cluster/assignment.js";
import { seededRandom as random } from "../../support/random.js";

/*
 * Seeded random node-id sets (hex ids and `scheduler-<host>-<i>` names) for
 * N = 2..10 and P = 256. The bound held is the one documented in
 * src/cluster/assignment.ts: every node's count is within 5σ of P/N, where
 * σ = √((N−1)/P) is the relative deviation of a Binomial(P, 1/N) count.
 */

const P = 256;
const SETS_PER_N = 20;

function hex(rand: () => number, chars: number): string {
  let s = "";
  for (let i = 0; i < chars; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

/** n distinct node ids in one of two realistic shapes. */
function nodeIds(rand: () => number, n: number): string[] {
  if (rand() < 0.5) return Array.from({ length: n }, () => `sched-${hex(rand, 16)}`);
  const host = hex(rand, 6);
  return Array.from({ length: n }, (_, i) => `scheduler-${host}-${i}`);
}

function shuffled<T>(rand: () => number, items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The tested band for one node's count among n nodes, as a ratio to P/n. */
function band(n: number): { low: number; high: number } {
  const sigma = Math.sqrt((n - 1) / P);
  return { low: 1 - 5 * sigma, high: 1 + 5 * sigma };
}

/** Every (N, node-id set) sample, N = 2..10, with one spare id for joins. */
function* samples(seed: number): Generator<{ n: number; ids: string[]; spare: string }> {
  const rand = random(seed);
  for (let n = 2; n <= 10; n++) {
    for (let k = 0; k < SETS_PER_N; k++) {
      const ids = nodeIds(rand, n + 1);
      yield { n, ids: ids.slice(0, n), spare: ids[n]! };
    }
  }
}

// The statistical cases build hundreds of rings: seconds of CPU, more on a
// loaded machine. The timeout guards against a hang, it is not a target.
describe("assignPartitions", { timeout: 60_000 }, () => {
  it("gives every partition to one of the live nodes", () => {
    const nodes = ["a", "b", "c"];
    const owners = assignPartitions(nodes, P);
    expect(owners).toHaveLength(P);
    for (const owner of owners) expect(nodes).toContain(owner);
  });

  it("does not depend on the order of the nodes or on duplicates", () => {
    const rand = random(1);
    for (let k = 0; k < 20; k++) {
      const ids = nodeIds(rand, 2 + Math.floor(rand() * 9));
      const expected = assignPartitions(ids, P);
      expect(assignPartitions(shuffled(rand, ids), P)).toEqual(expected);
      expect(assignPartitions(shuffled(rand, [...ids, ...ids]), P)).toEqual(expected);
    }
  });

  it("places partitions from the node ids alone (pinned, so any process or upgrade agrees)", () => {
    // Computed once; a change here means leaders of different versions disagree.
    const a = "scheduler-a";
    const b = "scheduler-b";
    const c = "scheduler-c";
    expect(assignPartitions([c, a, b], 16)).toEqual([
      a,
      a,
      c,
      a,
      b,
      c,
      a,
      b,
      c,
      b,
      c,
      a,
      b,
      c,
      c,
      c,
    ]);
  });

  it("accepts ids that are special as object keys", () => {
    const nodes = ["__proto__", "42", "", "constructor", "10.0.0.4:7000"];
    const owners = assignPartitions(nodes, P);
    for (const node of nodes) expect(partitionsOf(owners, node).length).toBeGreaterThan(0);
  });

  it("throws when there are no live nodes", () => {
    expect(() => assignPartitions([], P)).toThrow(RangeError);
  });

  it("rejects a bad partition count or vnode count", () => {
    expect(() => assignPartitions(["a"], -1)).toThrow(RangeError);
    expect(() => assignPartitions(["a"], 1.5)).toThrow(RangeError);
    expect(() => assignPartitions(["a"], P, { vnodes: 0 })).toThrow(RangeError);
    expect(assignPartitions(["a"], 0)).toEqual([]);
  });

  it("keeps every node's share within 5σ of P/N for N = 2..10", () => {
    for (const { n, ids } of samples(2)) {
      const owners = assignPartitions(ids, P);
      const { low, high } = band(n);
      for (const id of ids) {
        const ratio = partitionsOf(owners, id).length / (P / n);
        expect(ratio, `N=${n} node ${id}`).toBeGreaterThanOrEqual(low);
        expect(ratio, `N=${n} node ${id}`).toBeLessThanOrEqual(high);
      }
    }
  });

  it("on a join, moves partitions only to the new node, about P/(N+1) of them", () => {
    const ratios: number[] = [];
    for (const { n, ids, spare } of samples(3)) {
      const before = assignPartitions(ids, P);
      const after = assignPartitions([...ids, spare], P);
      const moved = movedPartitions(before, after);
      expect(moved).toEqual(partitionsOf(after, spare));
      const ratio = moved.length / (P / (n + 1));
      const { low, high } = band(n + 1);
      expect(moved.length).toBeGreaterThan(0);
      expect(ratio, `N=${n}`).toBeGreaterThanOrEqual(low);
      expect(ratio, `N=${n}`).toBeLessThanOrEqual(high);
      ratios.push(ratio);
    }
    const mean = ratios.reduce((sum, r) => sum + r, 0) / ratios.length;
    expect(mean).toBeGreaterThan(0.9);
    expect(mean).toBeLessThan(1.1);
  });

  it("on a leave, moves only the partitions the departed node owned", () => {
    const rand = random(4);
    for (const { ids } of samples(5)) {
      const gone = ids[Math.floor(rand() * ids.length)]!;
      const before = assignPartitions(ids, P);
      const after = assignPartitions(
        ids.filter((id) => id !== gone),
        P,
      );
      expect(movedPartitions(before, after)).toEqual(partitionsOf(before, gone));
    }
  });

  it("keeps each node's ring points whatever the node count, even at hashring's default of 40", () => {
    // hashring's own vnode computation gives 39 hashes per node at N = 7 and
    // 40 at N = 8, which would move partitions between the seven that stayed.
    const ids = Array.from({ length: 8 }, (_, i) => `scheduler-${i}`);
    const before = assignPartitions(ids.slice(0, 7), P, { vnodes: 40 });
    const after = assignPartitions(ids, P, { vnodes: 40 });
    expect(movedPartitions(before, after)).toEqual(partitionsOf(after, "scheduler-7"));
  });
});

describe("carrySince", () => {
  it("keeps the epoch of partitions whose owner is unchanged and zeroes the others", () => {
    const previous = { owners: ["a", "b", "a", "c"], since: [5, 7, 9, 11] };
    expect(carrySince(previous, ["a", "a", "a", "b"])).toEqual([5, 0, 9, 0]);
  });

  it("gives all zeros without a previous assignment", () => {
    expect(carrySince(undefined, ["a", "b", "c"])).toEqual([0, 0, 0]);
  });

  it("keeps the epoch of every partition a joining node did not take", () => {
    const before = assignPartitions(["a", "b", "c"], P);
    const previous = { owners: before, since: before.map((_, p) => 100 + p) };
    const after = assignPartitions(["a", "b", "c", "d"], P);
    const since = carrySince(previous, after);
    for (let p = 0; p < P; p++) expect(since[p]).toBe(after[p] === "d" ? 0 : 100 + p);
  });
});

describe("movedPartitions", () => {
  it("lists the partitions whose owner differs", () => {
    expect(movedPartitions(["a", "b", "c"], ["a", "c", "c"])).toEqual([1]);
    expect(movedPartitions(["a", "b"], ["a", "b"])).toEqual([]);
  });
});

describe("partitionsOf", () => {
  it("lists a node's partitions in ascending order", () => {
    expect(partitionsOf(["a", "b", "a", "c"], "a")).toEqual([0, 2]);
    expect(partitionsOf(["a", "b"], "z")).toEqual([]);
  });
});

describe("epochBase", () => {
  it.each([
    ["a new cluster over new tables", undefined, 0, { base: 0, carried: true }],
    ["a new etcd cluster over old fences", undefined, 900, { base: 900, carried: false }],
    ["a running cluster", { epoch: 50 }, 40, { base: 0, carried: true }],
    ["a running cluster with a base", { epoch: 950, base: 900 }, 950, { base: 900, carried: true }],
    [
      "a fence above the last epoch (an old etcd snapshot)",
      { epoch: 50 },
      900,
      { base: 900, carried: false },
    ],
    [
      "a based cluster behind a fence",
      { epoch: 950, base: 900 },
      2000,
      { base: 2000, carried: false },
    ],
  ])("%s", (_, previous, highestFence, expected) => {
    expect(epochBase(previous, highestFence)).toEqual(expected);
  });
});
