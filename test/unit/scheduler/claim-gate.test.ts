import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createMemoryJobStore } from "../../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../../src/adapters/memory/memory-db.js";
import type { OutgoingRun } from "../../../src/core/ports/work-queue.js";
import { createDueClaims } from "../../../src/scheduler/claim-due.js";
import { createClaimGate } from "../../../src/scheduler/claim-gate.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { fakeClock } from "../../support/fake-clock.js";
import { onceJob as once, T0 } from "../../support/fake-scheduler.js";

describe("the claim gate", () => {
  it("lets writes through up to its capacity, then in order as they are released", async () => {
    const gate = createClaimGate(32);
    const order: string[] = [];
    const take = (name: string, weight: number) =>
      gate.acquire(weight).then(() => order.push(name));
    await Promise.all([take("a", 16), take("b", 16)]);
    const c = take("c", 16);
    const d = take("d", 1);
    await Promise.resolve();
    expect(order).toEqual(["a", "b"]);
    gate.release(16);
    await c;
    // First come, first served: d waited behind c, and fits now only after a release.
    expect(order).toEqual(["a", "b", "c"]);
    gate.release(16);
    await d;
    expect(order).toEqual(["a", "b", "c", "d"]);
  });

  it("lets a request larger than the capacity go alone", async () => {
    const gate = createClaimGate(8);
    await gate.acquire(20);
    const next = gate.acquire(1);
    let through = false;
    void next.then(() => {
      through = true;
    });
    await Promise.resolve();
    expect(through).toBe(false);
    gate.release(20);
    await next;
    expect(through).toBe(true);
  });
});

describe("claims through the gate", () => {
  it("a HIGH claim goes out while the gate is full; the lower ones wait for it", async () => {
    const clock = fakeClock(T0);
    const jobs = createMemoryJobStore(createMemoryDb());
    const medium = [once(T0 - 2), once(T0 - 1)];
    const high = once(T0, "HIGH");
    for (const job of [...medium, high]) await jobs.createJob(job);
    const held: OutgoingRun[] = [];
    let firstHold!: () => void;
    const handedOver = new Promise<void>((resolve) => {
      firstHold = resolve;
    });
    const gate = createClaimGate(1);
    // Another pass's claim holds the whole gate.
    await gate.acquire(1);
    const { claimDue } = createDueClaims({
      store: jobs,
      dispatcher: {
        hold: (runs) => {
          held.push(...runs);
          firstHold();
        },
        pending: 0,
        close: async () => {},
      },
      metrics: createSchedulerMetrics(new Registry()),
      options: { startTimeoutMs: 30_000 },
      claimGate: gate,
    });
    const due = await jobs.dueJobs(0, T0, 10);
    const claiming = claimDue(due, undefined, clock.now());
    await handedOver;
    // The lower claims wait at the gate: the store sees them only after the release.
    expect((await jobs.dueJobs(0, T0, 10)).map((j) => j.id)).toEqual(medium.map((j) => j.id));
    expect(held.map((r) => r.jobId)).toEqual([high.id]);
    gate.release(1);
    expect(await claiming).toMatchObject({ claimed: 3, lost: 0 });
    expect(held.map((r) => r.jobId)).toEqual([high.id, ...medium.map((j) => j.id)]);
  });
});
