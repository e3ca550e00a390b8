/**
 * The misfire catch-up claim in DynamoDB Local: one conditional item write
 * records the runs to fire, moves next_run past now and adds the dropped runs
 * to the job's count; a stale read loses it; an on-time claim stays one write.
 */

import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import type { DueJob } from "../../../src/core/ports/job-store.js";
import { testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";

const MIN = 60_000;

describe("catch-up claims", () => {
  it("records the caught-up runs, the next run and the missed count in one write", async () => {
    const stores = await testStores(testConfig("catchup-claim"));
    const now = Math.floor(Date.now() / MIN) * MIN;
    const job = makeJob(8, {
      schedule: { kind: "interval", source: "1m", periodMs: MIN, anchorMs: now - 10 * MIN },
      nextRunMs: now - 10 * MIN,
    });
    await stores.jobs.createJob(job);
    const due = (await stores.jobs.dueJobs(job.partition, now, 100)).find(
      (d) => d.id === job.id,
    ) as DueJob;
    const before = stores.writes.count;
    const claim = {
      job: due,
      nextRunMs: now + MIN,
      recoverAtMs: now + 5000,
      runs: [now - MIN, now],
      missed: 9,
    };
    expect(await stores.jobs.claimRuns([claim])).toEqual([true]);
    expect(stores.writes.count - before).toBe(1);
    // The same stale read loses: next_run moved.
    expect(await stores.jobs.claimRuns([claim])).toEqual([false]);

    const stored = await stores.jobs.getJob(DEFAULT_TENANT, job.id);
    expect(stored?.nextRunMs).toBe(now + MIN);
    expect(stored?.lastRunMs).toBe(now);
    expect(stored?.missedRuns).toBe(9);
    const page = await stores.jobs.pendingRuns(job.partition, 0, now + 5000, 100);
    expect(page.items.find((p) => p.jobId === job.id)?.scheduled).toEqual([now - MIN, now]);
  });

  it("a SKIP claim records no run and leaves the recovery deadline alone", async () => {
    const stores = await testStores(testConfig("skip-claim"));
    const now = Math.floor(Date.now() / MIN) * MIN;
    const job = makeJob(8, {
      schedule: { kind: "interval", source: "1m", periodMs: MIN, anchorMs: now - 5 * MIN },
      nextRunMs: now - 5 * MIN,
    });
    await stores.jobs.createJob(job);
    const due = (await stores.jobs.dueJobs(job.partition, now, 100)).find(
      (d) => d.id === job.id,
    ) as DueJob;
    const claim = { job: due, nextRunMs: now + MIN, recoverAtMs: now + 5000, runs: [], missed: 6 };
    expect(await stores.jobs.claimRuns([claim])).toEqual([true]);
    const stored = await stores.jobs.getJob(DEFAULT_TENANT, job.id);
    expect(stored?.nextRunMs).toBe(now + MIN);
    expect(stored?.lastRunMs).toBeUndefined();
    expect(stored?.missedRuns).toBe(6);
    const page = await stores.jobs.pendingRuns(job.partition, 0, Date.now() + 3_600_000, 100);
    expect(page.items.find((p) => p.jobId === job.id)).toBeUndefined();
  });

  it("an on-time claim is still one write with no missed count", async () => {
    const stores = await testStores(testConfig("ontime-claim"));
    const job = makeJob(8, {
      schedule: { kind: "interval", source: "1m", periodMs: MIN, anchorMs: Date.now() },
    });
    await stores.jobs.createJob(job);
    const due = (await stores.jobs.dueJobs(job.partition, Date.now() + MIN, 100)).find(
      (d) => d.id === job.id,
    ) as DueJob;
    const before = stores.writes.count;
    const claim = { job: due, nextRunMs: due.nextRunMs + MIN, recoverAtMs: due.nextRunMs + 5000 };
    expect(await stores.jobs.claimRuns([claim])).toEqual([true]);
    expect(stores.writes.count - before).toBe(1);
    expect((await stores.jobs.getJob(DEFAULT_TENANT, job.id))?.missedRuns).toBeUndefined();
  });
});
