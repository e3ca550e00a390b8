import { describe, expect, it } from "vitest";
import type { Delivery } from "../../../src/core/ports/work-queue.js";
import type { Priority } from "../../../src/core/priority.js";
import { createIntakeOrder } from "../../../src/worker/intake-order.js";

let seq = 0;
function run(tenant: string | undefined, priority: Priority = "MEDIUM"): Delivery {
  seq++;
  return {
    run: {
      jobId: `${tenant ?? "none"}-${seq}`,
      scheduledMs: 0,
      attempt: 1,
      partition: 0,
      manual: false,
      ...(tenant === undefined ? {} : { tenant }),
    },
    receiveCount: 1,
    sentMs: 0,
    handle: String(seq),
    priority,
  };
}

const never = (_tenant: string) => false;
const tenants = (ds: Delivery[]) => ds.map((d) => d.run.tenant ?? "?");

function takeAll(order: ReturnType<typeof createIntakeOrder>, blocked = never): Delivery[] {
  const out: Delivery[] = [];
  for (let d = order.next(blocked); d; d = order.next(blocked)) out.push(d);
  return out;
}

describe("intake order", () => {
  it("takes the tenants in turn within a priority, first come first served within a tenant", () => {
    const order = createIntakeOrder();
    const a = Array.from({ length: 5 }, () => run("a"));
    const b = Array.from({ length: 2 }, () => run("b"));
    for (const d of [...a, ...b]) order.add(d);
    const taken = takeAll(order);
    expect(tenants(taken)).toEqual(["a", "b", "a", "b", "a", "a", "a"]);
    expect(taken.filter((d) => d.run.tenant === "a")).toEqual(a);
    expect(order.size()).toBe(0);
  });

  it("a quiet tenant's runs received behind a burst start within the first rounds", () => {
    const order = createIntakeOrder();
    for (let i = 0; i < 30; i++) order.add(run("a"));
    order.add(run("b"));
    expect(tenants(takeAll(order)).indexOf("b")).toBe(1);
  });

  it("follows the priorities' weighted cycle: HIGH 4, MEDIUM 2, LOW 1 in 7 while all wait", () => {
    const order = createIntakeOrder();
    for (const p of ["LOW", "MEDIUM", "HIGH"] as const) {
      for (let i = 0; i < 14; i++) order.add(run("t", p));
    }
    const first7 = takeAll(order)
      .slice(0, 7)
      .map((d) => d.priority);
    expect(first7).toEqual(["HIGH", "HIGH", "HIGH", "HIGH", "MEDIUM", "MEDIUM", "LOW"]);
  });

  it("falls through to the highest priority waiting when the cycle's is empty", () => {
    const order = createIntakeOrder();
    for (let i = 0; i < 7; i++) order.add(run("t", "LOW"));
    for (let i = 0; i < 7; i++) order.add(run("t", "HIGH"));
    const first7 = takeAll(order)
      .slice(0, 7)
      .map((d) => d.priority);
    // MEDIUM's two turns go to HIGH; LOW keeps its one.
    expect(first7).toEqual(["HIGH", "HIGH", "HIGH", "HIGH", "HIGH", "HIGH", "LOW"]);
  });

  it("passes over a blocked tenant, which keeps its runs for later", () => {
    const order = createIntakeOrder();
    for (let i = 0; i < 3; i++) order.add(run("a"));
    order.add(run("b"));
    order.add(run(undefined));
    const taken = takeAll(order, (t) => t === "a");
    expect(tenants(taken)).toEqual(["b", "?"]);
    expect(order.size("a")).toBe(3);
    expect(order.next((t) => t === "a")).toBeUndefined();
    expect(order.next(never)?.run.tenant).toBe("a");
  });

  it("takeLast removes a tenant's most recent runs, lowest priority first; drain empties it", () => {
    const order = createIntakeOrder();
    const high = run("a", "HIGH");
    const low1 = run("a", "LOW");
    const low2 = run("a", "LOW");
    for (const d of [high, low1, low2, run("b")]) order.add(d);
    expect(order.takeLast("a", 2)).toEqual([low2, low1]);
    expect(order.size("a")).toBe(1);
    expect(order.size()).toBe(2);
    expect(order.drain()).toHaveLength(2);
    expect(order.size()).toBe(0);
    expect(order.tenants()).toEqual([]);
  });
});
