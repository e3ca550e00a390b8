/**
 * HIGH runs are claimed first: within a pass (the claims go out HIGH first),
 * and across a backlog (the HIGH lane reads the HIGH index of a partition
 * whose passes lag, so a HIGH run due with hundreds of lower ones is sent
 * at its time). A partition on time costs the lane no read.
 */
import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createMemoryJobStore } from "../../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../../src/adapters/memory/memory-db.js";
import type { Job } from "../../../src/core/job.js";
import type { Claim } from "../../../src/core/ports/job-store.js";
import type { OutgoingRun } from "../../../src/core/ports/work-queue.js";
import { createClaimer } from "../../../src/scheduler/claimer.js";
import { SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { fakeClock } from "../../support/fake-clock.js";
import { LOOKAHEAD, onceJob, schedulerOnFakeClock, T0 } from "../../support/fake-scheduler.js";

const once = onceJob;

/** A claimer of partition 0 on a fake clock at T0 over `stored`, and the runs it hands over. */
async function claimerOver(stored: Job[], options: { lookaheadMs: number; batchSize: number }) {
  const jobs = createMemoryJobStore(createMemoryDb());
  for (const job of stored) await jobs.createJob(job);
  const held: OutgoingRun[] = [];
  const claimer = createClaimer({
    store: jobs,
    dispatcher: { hold: (runs) => held.push(...runs), pending: 0, close: async () => {} },
    clock: fakeClock(T0),
    metrics: createSchedulerMetrics(new Registry()),
    logger: pino({ level: "silent" }),
    options: { pollIntervalMs: 1000, startTimeoutMs: 30_000, ...options },
  });
  return { jobs, held, claimer };
}

describe("HIGH-first claims", () => {
  it("a pass sends its claims and hands its runs over HIGH first, each priority in time order", async () => {
    const medium = [once(T0 - 3), once(T0 - 2)];
    const low = once(T0 - 5, "LOW");
    const high = [once(T0 - 1, "HIGH"), once(T0, "HIGH")];
    const { jobs, held, claimer } = await claimerOver([...medium, low, ...high], {
      lookaheadMs: 0,
      batchSize: 100,
    });
    const claimedOrder: string[] = [];
    const claimRuns = jobs.claimRuns.bind(jobs);
    jobs.claimRuns = (claims: Claim[], fence) => {
      claimedOrder.push(...claims.map((c) => c.job.id));
      return claimRuns(claims, fence);
    };
    const result = await claimer.pass(0);
    expect(result.claimed).toBe(5);
    const expected = [high[0]!.id, high[1]!.id, low.id, medium[0]!.id, medium[1]!.id];
    expect(claimedOrder).toEqual(expected);
    expect(held.map((r) => r.jobId)).toEqual(expected);
  });

  it("a page of due runs that goes on past it takes the HIGH runs beyond it first", async () => {
    const medium = Array.from({ length: 5 }, (_, i) => once(T0 - 10 + i));
    const high = once(T0, "HIGH");
    const { held, claimer } = await claimerOver([...medium, high], {
      lookaheadMs: 0,
      batchSize: 3,
    });
    const result = await claimer.pass(0);
    expect(result).toMatchObject({ claimed: 4, more: true });
    expect(held.map((r) => r.jobId)).toEqual([high.id, ...medium.slice(0, 3).map((j) => j.id)]);
  });

  it("a HIGH pass claims the partition's HIGH runs alone and tells when the next one is", async () => {
    const medium = once(T0);
    const due = once(T0, "HIGH");
    const later = once(T0 + 60_000, "HIGH");
    const { jobs, held, claimer } = await claimerOver([medium, due, later], {
      lookaheadMs: 1000,
      batchSize: 100,
    });
    const result = await claimer.highPass(0);
    expect(result).toMatchObject({ claimed: 1, lost: 0, more: false, nextHighMs: T0 + 60_000 });
    expect(held.map((r) => [r.jobId, r.priority])).toEqual([[due.id, "HIGH"]]);
    expect((await jobs.dueJobs(0, T0, 10)).map((j) => j.id)).toEqual([medium.id]);
  });

  it("a HIGH run due with a backlog of its partition is claimed by the lane and sent at its time", async () => {
    // Each claim call takes 2 s: the partition's 600 MEDIUM runs, 16 a call,
    // take a minute to claim, far past their time; the HIGH one was written last,
    // so a read in time order finds it on the last page.
    const COUNT = 600;
    const s = schedulerOnFakeClock({ batchSize: 50, claimDelayMs: 2_000 });
    const at = T0 + 20_000;
    for (let i = 0; i < COUNT; i++) await s.jobs.createJob(once(at));
    const high = once(at, "HIGH");
    await s.jobs.createJob(high);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(at + SEND_GATHER_MS);
    const sent = await s.queue.receive(10, 0, undefined, "HIGH");
    expect(sent.map((d) => d.run.jobId)).toEqual([high.id]);
    expect(s.highReads.count).toBeGreaterThanOrEqual(1);
    // The backlog was still being claimed when the HIGH run went out.
    expect((await s.jobs.dueJobs(0, at, 1000)).length).toBeGreaterThan(300);
    expect(await s.claimed(high)).toBe(true);
    // Let the backlog's passes end (they wait on this clock) before the scheduler stops.
    await s.until(at + 180_000);
    expect(await s.sent()).toBe(COUNT + 1);
  });

  it("a partition on time costs the HIGH lane no read", async () => {
    const s = schedulerOnFakeClock({ pollBackstopMs: 120_000, sweepBackstopMs: 300_000 });
    for (let i = 0; i < 5; i++) {
      await s.jobs.createJob(once(T0 + 30_000 + i * 10_000, "HIGH"));
      await s.jobs.createJob(once(T0 + 30_000 + i * 10_000));
    }
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 30_000 + 5 * 10_000 + LOOKAHEAD);
    expect(await s.sent()).toBe(10);
    expect(s.highReads.count).toBe(0);
  });
});
