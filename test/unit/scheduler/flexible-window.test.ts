/**
 * Runs with a flexible window on the fake clock with the in-memory
 * adapters: claimed ahead as any run, sent at their planned starts spread
 * over the window (never before their time, never after the window), the
 * plan recorded with the claim; the recovery sweep and a takeover keep it.
 */

import { describe, expect, it } from "vitest";
import type { Job } from "../../../src/core/job.js";
import type { Delivery } from "../../../src/core/ports/work-queue.js";
import { startMargin } from "../../../src/core/window-spread.js";
import { SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import {
  LOOKAHEAD,
  START_TIMEOUT,
  SWEEP,
  schedulerOnFakeClock as setup,
  T0,
} from "../../support/fake-scheduler.js";
import { makeJob } from "../../support/jobs.js";

const WINDOW = 10_000;

/** A one-time job at `at` with a flexible window, in the fake scheduler's one partition. */
function windowed(at: number, windowMs = WINDOW): Job {
  return makeJob(1, {
    nextRunMs: at,
    schedule: { kind: "once", at, flexibleWindowMs: windowMs },
    createdMs: T0,
    updatedMs: T0,
  });
}

async function drain(queue: { receive(max: number, waitMs: number): Promise<Delivery[]> }) {
  const all: Delivery[] = [];
  for (;;) {
    const got = await queue.receive(10, 0);
    if (got.length === 0) return all;
    all.push(...got);
  }
}

describe("flexible windows in the scheduler", () => {
  it("sends the runs of one time at planned starts spread over the window, none before its time or after the window", async () => {
    const s = setup();
    const at = T0 + 60_000;
    const jobs = Array.from({ length: 20 }, () => windowed(at));
    for (const job of jobs) await s.jobs.createJob(job);
    s.scheduler.setPartitions([{ partition: 0 }]);

    // Claimed ahead as any run, held until the planned starts.
    await s.until(at - LOOKAHEAD * 0.9);
    for (const job of jobs) expect(await s.claimed(job)).toBe(true);
    await s.until(at - 1);
    expect(await s.sent()).toBe(0);
    // Half of the planned span: about half the runs.
    await s.until(at + (WINDOW - startMargin(WINDOW)) / 2);
    const half = await s.sent();
    expect(half).toBeGreaterThanOrEqual(8);
    expect(half).toBeLessThanOrEqual(12);
    await s.until(at + WINDOW + SEND_GATHER_MS);
    const deliveries = await drain(s.queue);
    expect(deliveries).toHaveLength(20);
    const planned = deliveries.map((d) => d.run.plannedMs!).sort((a, b) => a - b);
    for (const d of deliveries) {
      // The run keeps its nominal time (and execution id); it was sent at its planned start.
      expect(d.run.scheduledMs).toBe(at);
      expect(d.run.plannedMs).toBeGreaterThanOrEqual(at);
      expect(d.run.plannedMs).toBeLessThan(at + WINDOW);
      expect(d.sentMs).toBeGreaterThanOrEqual(d.run.plannedMs!);
      expect(d.sentMs).toBeLessThanOrEqual(d.run.plannedMs! + SEND_GATHER_MS);
    }
    // Even: 20 starts over 10 s leave no gap much longer than the average 0.5 s.
    const gaps = planned.slice(1).map((t, i) => t - planned[i]!);
    // (Planned over the window less its margin for the send and the start.)
    const planEnd = at + WINDOW - startMargin(WINDOW);
    expect(Math.max(...gaps, planned[0]! - at, planEnd - planned.at(-1)!)).toBeLessThan(1_000);
  });

  it("records the planned start with the claim, and the recovery deadline counts from it", async () => {
    const s = setup();
    const at = T0 + 30_000;
    const job = windowed(at);
    await s.jobs.createJob(job);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(at - LOOKAHEAD * 0.9);
    const [pending] = (await s.jobs.pendingRuns(0, 0, Number.MAX_SAFE_INTEGER, 10)).items;
    expect(pending?.plans).toHaveLength(1);
    const plannedMs = pending!.plans![0]!.plannedMs;
    expect(pending!.plans![0]!.scheduledMs).toBe(at);
    expect(pending!.recoverAtMs).toBe(plannedMs + START_TIMEOUT);
    await s.until(at + WINDOW + SEND_GATHER_MS);
    const [delivery] = await drain(s.queue);
    expect(delivery?.run.plannedMs).toBe(plannedMs);
  });

  it("does not send again, inside its window, a run whose deadline an older claim moved earlier", async () => {
    const s = setup();
    const at = T0 + 5_000;
    const job = windowed(at, 60_000);
    await s.jobs.createJob(job);
    // Another scheduler claimed it with a start planned 50 s into the window,
    // under an earlier deadline (one an older run of the job left), then died.
    const [due] = await s.jobs.dueJobs(0, at, 10);
    const plannedMs = at + 50_000;
    await s.jobs.claimRuns([
      { job: due!, nextRunMs: undefined, recoverAtMs: at + START_TIMEOUT, plannedMs },
    ]);
    s.scheduler.setPartitions([{ partition: 0 }]);

    // Counted from its time, the run would be overdue at at + 30 s and sent
    // there, 20 s before its planned start.
    await s.until(plannedMs + START_TIMEOUT - 1);
    expect(await s.sent()).toBe(0);
    await s.until(plannedMs + START_TIMEOUT + 2 * SWEEP);
    const deliveries = await drain(s.queue);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.run).toMatchObject({ scheduledMs: at, plannedMs });
  });

  it("a takeover holds the old owner's run until the start it planned", async () => {
    const s = setup();
    const at = T0 + 20_000;
    const job = windowed(at);
    await s.jobs.createJob(job);
    const [due] = await s.jobs.dueJobs(0, at, 10);
    const plannedMs = at + 8_000;
    await s.jobs.claimRuns([
      { job: due!, nextRunMs: undefined, recoverAtMs: plannedMs + START_TIMEOUT, plannedMs },
    ]);
    // The owner that claimed it left; this node takes the partition over
    // after the run's time, before its planned start.
    await s.until(at + 2_000);
    s.scheduler.setPartitions([{ partition: 0, takeover: true }]);
    await s.until(plannedMs - 1);
    expect(await s.sent()).toBe(0);
    await s.until(plannedMs + SEND_GATHER_MS);
    const deliveries = await drain(s.queue);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.run).toMatchObject({ scheduledMs: at, plannedMs });
  });
});
