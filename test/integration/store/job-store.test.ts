import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { StaleOwnerError } from "../../../src/core/errors.js";
import type { Claim, DueJob } from "../../../src/core/ports/job-store.js";
import { testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";

async function dueOf(
  stores: Awaited<ReturnType<typeof testStores>>,
  id: string,
  partition: number,
) {
  const due = await stores.jobs.dueJobs(partition, Date.now() + 3_600_000, 100);
  return due.find((d) => d.id === id);
}

function claimOf(job: DueJob, nextRunMs: number | undefined): Claim {
  return { job, nextRunMs, recoverAtMs: job.nextRunMs + 5000 };
}

describe("DynamoDB job store", () => {
  it("lets exactly one of two racing claims of the same run win", async () => {
    const config = testConfig("claim-race");
    const stores = await testStores(config);
    const job = makeJob(8, {
      schedule: { kind: "interval", source: "1m", periodMs: 60_000, anchorMs: 0 },
    });
    await stores.jobs.createJob(job);
    const due = (await dueOf(stores, job.id, job.partition))!;
    const results = await Promise.all([
      stores.jobs.claimRuns([claimOf(due, due.nextRunMs + 60_000)]),
      stores.jobs.claimRuns([claimOf(due, due.nextRunMs + 60_000)]),
    ]);
    expect(results.flat().filter(Boolean)).toHaveLength(1);
    const stored = await stores.jobs.getJob(DEFAULT_TENANT, job.id);
    expect(stored?.nextRunMs).toBe(due.nextRunMs + 60_000);
    expect(stored?.lastRunMs).toBe(due.nextRunMs);
  });

  it("rejects a claim from a stale read after the run was claimed (an old owner waking up)", async () => {
    const config = testConfig("claim-stale");
    const stores = await testStores(config);
    const job = makeJob(8, {
      schedule: { kind: "interval", source: "1m", periodMs: 60_000, anchorMs: 0 },
    });
    await stores.jobs.createJob(job);
    const stale = (await dueOf(stores, job.id, job.partition))!;
    expect(await stores.jobs.claimRuns([claimOf(stale, stale.nextRunMs + 60_000)])).toEqual([true]);
    // The paused process still holds `stale` and tries again.
    expect(await stores.jobs.claimRuns([claimOf(stale, stale.nextRunMs + 60_000)])).toEqual([
      false,
    ]);
  });

  it("claims a batch in one transaction and still wins the others when one run was taken", async () => {
    const config = testConfig("claim-batch");
    const stores = await testStores(config);
    const jobs = Array.from({ length: 5 }, () => makeJob(8));
    for (const job of jobs) await stores.jobs.createJob(job);
    const dues = await Promise.all(jobs.map((j) => dueOf(stores, j.id, j.partition)));
    // Someone else claims the third one first.
    expect(await stores.jobs.claimRuns([claimOf(dues[2]!, undefined)])).toEqual([true]);
    const writesBefore = stores.writes.count;
    const won = await stores.jobs.claimRuns(dues.map((d) => claimOf(d!, undefined)));
    expect(won).toEqual([true, true, false, true, true]);
    expect(stores.writes.count - writesBefore).toBe(4);
    for (const job of jobs) {
      const stored = await stores.jobs.getJob(DEFAULT_TENANT, job.id);
      expect(stored?.status).toBe("FINISHED");
      expect(stored?.nextRunMs).toBeUndefined();
    }
  });

  it("takes paused jobs out of the due index and back on resume", async () => {
    const config = testConfig("due-index");
    const stores = await testStores(config);
    const job = makeJob(8);
    await stores.jobs.createJob(job);
    expect(await dueOf(stores, job.id, job.partition)).toBeDefined();
    await stores.jobs.updateJob(
      DEFAULT_TENANT,
      job.id,
      { status: "PAUSED", nextRunMs: null },
      { statusIn: ["ACTIVE"] },
      Date.now(),
    );
    expect(await dueOf(stores, job.id, job.partition)).toBeUndefined();
    const resumed = await stores.jobs.updateJob(
      DEFAULT_TENANT,
      job.id,
      { status: "ACTIVE", nextRunMs: job.nextRunMs! },
      { statusIn: ["PAUSED"] },
      Date.now(),
    );
    expect(resumed.version).toBe(3);
    expect(await dueOf(stores, job.id, job.partition)).toBeDefined();
  });

  it("reports a version conflict as aborted and a forbidden state as failed_precondition", async () => {
    const config = testConfig("update-conds");
    const stores = await testStores(config);
    const job = makeJob(8);
    await stores.jobs.createJob(job);
    await expect(
      stores.jobs.updateJob(DEFAULT_TENANT, job.id, { name: "x" }, { version: 7 }, Date.now()),
    ).rejects.toMatchObject({ kind: "aborted" });
    await expect(
      stores.jobs.updateJob(
        DEFAULT_TENANT,
        job.id,
        { name: "x" },
        { statusIn: ["PAUSED"] },
        Date.now(),
      ),
    ).rejects.toMatchObject({ kind: "failed_precondition" });
    await expect(
      stores.jobs.updateJob(
        DEFAULT_TENANT,
        "job_00000000000000000000000000",
        { name: "x" },
        {},
        Date.now(),
      ),
    ).rejects.toMatchObject({ kind: "not_found" });
    await expect(stores.jobs.createJob(job)).rejects.toMatchObject({ kind: "already_exists" });
  });

  it("records each claim for the recovery sweep and settles the runs seen started", async () => {
    const config = testConfig("pending");
    const stores = await testStores(config);
    const job = makeJob(8, {
      schedule: { kind: "interval", source: "1s", periodMs: 1000, anchorMs: 0 },
    });
    await stores.jobs.createJob(job);
    const first = (await dueOf(stores, job.id, job.partition))!;
    await stores.jobs.claimRuns([claimOf(first, first.nextRunMs + 1000)]);
    const second = (await dueOf(stores, job.id, job.partition))!;
    expect(second.recoverAtMs).toBe(first.nextRunMs + 5000);
    await stores.jobs.claimRuns([
      { job: second, nextRunMs: second.nextRunMs + 1000, recoverAtMs: second.recoverAtMs! },
    ]);
    const page = await stores.jobs.pendingRuns(job.partition, 0, first.nextRunMs + 5000, 100);
    const pending = page.items.find((p) => p.jobId === job.id)!;
    expect(pending.scheduled).toEqual([first.nextRunMs, second.nextRunMs]);
    expect(pending.active).toBe(true);
    // Clearing the deadline on an older claim sequence loses: a claim came since.
    expect(
      await stores.jobs.settleRuns({
        jobId: job.id,
        claimSeq: pending.claimSeq - 1,
        startedScheduled: [first.nextRunMs],
        startedManual: [],
        recoverAtMs: undefined,
      }),
    ).toBe(false);
    // Moving it needs no condition, so that claims every second cannot starve the sweep.
    expect(
      await stores.jobs.settleRuns({
        jobId: job.id,
        startedScheduled: [first.nextRunMs],
        startedManual: [],
        recoverAtMs: second.nextRunMs + 5000,
      }),
    ).toBe(true);
    const after = await stores.jobs.pendingRuns(job.partition, 0, Date.now() + 3_600_000, 100);
    expect(after.items.find((p) => p.jobId === job.id)?.scheduled).toEqual([second.nextRunMs]);
  });

  it("refuses a trigger on a cancelled job", async () => {
    const config = testConfig("trigger-cancelled");
    const stores = await testStores(config);
    const job = makeJob(8, { status: "CANCELLED", nextRunMs: undefined });
    await stores.jobs.createJob(job);
    await expect(
      stores.jobs.recordManualRun(DEFAULT_TENANT, job.id, Date.now(), Date.now() + 5000),
    ).rejects.toMatchObject({
      kind: "failed_precondition",
    });
  });

  it("a newer owner's fence wins every job it claimed on; a stale owner learns it is stale (no timing involved)", async () => {
    const config = testConfig("fencing");
    const stores = await testStores(config);
    const jobs = [makeJob(8), makeJob(8), makeJob(8)].map((j) => ({ ...j, partition: 3 }));
    for (const job of jobs) await stores.jobs.createJob(job);
    const [first, second, third] = await stores.jobs.dueJobs(3, Date.now() + 60_000, 10);
    const a = { partition: 3, epoch: 5, owner: "node-a" };
    const b = { partition: 3, epoch: 7, owner: "node-b" };
    expect(await stores.jobs.fencePartition(a)).toBe(true);
    expect(await stores.jobs.claimRuns([claimOf(first!, undefined)], a)).toEqual([true]);
    // Node b takes the partition over at a newer epoch and claims the second job.
    expect(await stores.jobs.fencePartition(b)).toBe(true);
    expect(await stores.jobs.claimRuns([claimOf(second!, undefined)], b)).toEqual([true]);
    // Node a wakes up (SIGCONT, GC pause) and goes on with what it knew: it
    // wins the third job, which b has not touched (a claim like any other,
    // recorded for b's recovery sweep), and loses the second, which tells
    // it that it is stale; the claim it won comes with the error.
    const refused = stores.jobs.claimRuns(
      [claimOf(third!, undefined), claimOf(second!, undefined)],
      a,
    );
    await expect(refused).rejects.toBeInstanceOf(StaleOwnerError);
    await expect(refused).rejects.toMatchObject({ won: [true, false] });
    expect((await stores.jobs.getJob(DEFAULT_TENANT, third!.id))?.status).toBe("FINISHED");
    const pending = await stores.jobs.pendingRuns(3, 0, third!.nextRunMs + 5000, 10);
    expect(pending.items.map((r) => r.jobId)).toContain(third!.id);
    expect(await stores.jobs.fencePartition(a)).toBe(false);
    // Re-fencing at the same epoch by the same owner is allowed (a restart of the pass).
    expect(await stores.jobs.fencePartition(b)).toBe(true);
  });

  it("keeps a stale owner off a recurring job once the new owner claimed on it", async () => {
    const config = testConfig("fencing-recurring");
    const stores = await testStores(config);
    const job = {
      ...makeJob(8, {
        schedule: { kind: "interval", source: "1m", periodMs: 60_000, anchorMs: 0 },
      }),
      partition: 2,
    };
    await stores.jobs.createJob(job);
    const a = { partition: 2, epoch: 5, owner: "node-a" };
    const b = { partition: 2, epoch: 7, owner: "node-b" };
    expect(await stores.jobs.fencePartition(a)).toBe(true);
    expect(await stores.jobs.fencePartition(b)).toBe(true);
    const due = (await dueOf(stores, job.id, 2))!;
    expect(await stores.jobs.claimRuns([claimOf(due, due.nextRunMs + 60_000)], b)).toEqual([true]);
    // A fresh read by the stale owner: the run is free, but b's fence is on the job.
    const next = (await dueOf(stores, job.id, 2))!;
    await expect(
      stores.jobs.claimRuns([claimOf(next, next.nextRunMs + 60_000)], a),
    ).rejects.toBeInstanceOf(StaleOwnerError);
    expect((await stores.jobs.getJob(DEFAULT_TENANT, job.id))?.nextRunMs).toBe(next.nextRunMs);
  });
});
