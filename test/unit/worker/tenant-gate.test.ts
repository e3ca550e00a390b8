import pino from "pino";
import { describe, expect, it } from "vitest";
import type { TenantRecord } from "../../../src/core/tenant-quota.js";
import { createTenantGate } from "../../../src/worker/tenant-gate.js";
import { fakeClock } from "../../support/fake-clock.js";

const T0 = Date.UTC(2026, 11, 6, 12);
const DEFAULTS = { maxActiveSchedules: 0, maxFiresPerMinute: 0, maxConcurrentRuns: 0 };

/** A tenants store whose reads answer only when the test says (pure logic: no store here). */
function heldReads() {
  const reads: Array<{
    tenant: string;
    answer: (custom: TenantRecord["custom"]) => void;
    fail: () => void;
  }> = [];
  return {
    reads,
    store: {
      get: (tenant: string) =>
        new Promise<TenantRecord | undefined>((resolve, reject) => {
          reads.push({
            tenant,
            answer: (custom) => resolve({ tenant, custom, activeSchedules: 0 }),
            fail: () => reject(new Error("store unavailable")),
          });
        }),
    },
  };
}

function gateOn(store: ReturnType<typeof heldReads>["store"], clock = fakeClock(T0)) {
  const gate = createTenantGate({
    tenants: store,
    defaults: DEFAULTS,
    clock,
    workers: () => 1,
    retryMs: 1000,
    logger: pino({ level: "silent" }),
  });
  return { gate, clock };
}

/** Whether `p` settled by the time pending promise callbacks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("the worker's tenant gate reads a tenant's quotas", () => {
  it("once for the tenant's first runs, which all wait for that one read", async () => {
    const { reads, store } = heldReads();
    const { gate } = gateOn(store);
    const admits = [gate.admit("acme"), gate.admit("acme"), gate.admit("acme")];
    expect(await settled(Promise.all(admits))).toBe(false);
    expect(reads.map((r) => r.tenant)).toEqual(["acme"]);
    reads[0]!.answer({ maxConcurrentRuns: 2 });
    expect((await Promise.all(admits)).map((a) => a.kind)).toEqual(["start", "start", "hold"]);
    expect(gate.full("acme")).toBe(true);
  });

  it("after 10 s, again beside the runs: they are admitted on the last quotas without waiting", async () => {
    const { reads, store } = heldReads();
    const { gate, clock } = gateOn(store);
    const first = gate.admit("acme");
    reads[0]!.answer({ maxConcurrentRuns: 1 });
    expect(await first).toEqual({ kind: "start" });
    gate.release("acme");

    clock.advance(10_000);
    // The quotas are 10 s old: this run is admitted on them at once, and one read goes out.
    const stale = gate.admit("acme");
    expect(await settled(stale)).toBe(true);
    expect(await stale).toEqual({ kind: "start" });
    // A run that comes while that read is out waits for nothing and sends no read of its own.
    expect((await gate.admit("acme")).kind).toBe("hold");
    expect(reads).toHaveLength(2);

    // The admin raised the limit: the read's answer is in force for the next runs.
    reads[1]!.answer({ maxConcurrentRuns: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await gate.admit("acme")).toEqual({ kind: "start" });
    expect(gate.full("acme")).toBe(true);
    expect(reads).toHaveLength(2);
  });

  it("keeps the last quotas known when a read fails, and reads again 10 s later", async () => {
    const { reads, store } = heldReads();
    const { gate, clock } = gateOn(store);
    const first = gate.admit("acme");
    reads[0]!.answer({ maxConcurrentRuns: 1 });
    await first;
    clock.advance(10_000);
    await gate.admit("acme");
    reads[1]!.fail();
    await new Promise((resolve) => setImmediate(resolve));
    // Still one run at a time: the failed read kept the quotas it had.
    expect(gate.full("acme")).toBe(true);
    expect((await gate.admit("acme")).kind).toBe("hold");
    expect(reads).toHaveLength(2);
    clock.advance(10_000);
    void gate.admit("acme");
    expect(reads).toHaveLength(3);
  });

  it("a tenant's first run gets the defaults when its read fails", async () => {
    const { reads, store } = heldReads();
    const { gate } = gateOn(store);
    const first = gate.admit("acme");
    reads[0]!.fail();
    expect(await first).toEqual({ kind: "start" });
    expect(gate.full("acme")).toBe(false);
  });
});
