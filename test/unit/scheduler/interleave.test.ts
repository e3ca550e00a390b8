import { describe, expect, it } from "vitest";
import { interleaveByTenant } from "../../../src/scheduler/interleave.js";

const run = (tenant: string | undefined, n: number) => ({ tenant, n });

describe("interleaveByTenant", () => {
  it("puts a quiet tenant's runs among the first of a noisy tenant's burst", () => {
    const noisy = Array.from({ length: 1000 }, (_, i) => run("a", i));
    const quiet = Array.from({ length: 3 }, (_, i) => run("b", i));
    const out = interleaveByTenant([...noisy, ...quiet]);
    expect(out).toHaveLength(1003);
    expect(out.slice(0, 6).map((r) => r.tenant)).toEqual(["a", "b", "a", "b", "a", "b"]);
    // Each tenant's runs keep their order, none lost or repeated.
    expect(out.filter((r) => r.tenant === "a").map((r) => r.n)).toEqual(noisy.map((r) => r.n));
    expect(out.filter((r) => r.tenant === "b").map((r) => r.n)).toEqual([0, 1, 2]);
  });

  it("keeps one tenant's runs as they were, and runs without a tenant as one group", () => {
    const one = [run("a", 2), run("a", 1)];
    expect(interleaveByTenant(one)).toEqual(one);
    const mixed = [run(undefined, 0), run(undefined, 1), run("a", 0)];
    expect(interleaveByTenant(mixed)).toEqual([run(undefined, 0), run("a", 0), run(undefined, 1)]);
  });
});
