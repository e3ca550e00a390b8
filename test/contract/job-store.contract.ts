import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { MOVED_RUN_RECHECK_MS } from "../../src/core/claim-rules.js";
import { StaleOwnerError } from "../../src/core/errors.js";
import type { Job } from "../../src/core/job.js";
import type { Claim, DueJob, JobStore, PendingRuns } from "../../src/core/ports/job-store.js";
import { EVERY_MINUTE, makeJob } from "../support/jobs.js";

/** What a job store suite needs: a fresh, initialised store with this many partitions. */
export type JobStoreFactory = (label: string) => Promise<{ jobs: JobStore; partitions: number }>;

const HOUR = 3_600_000;

function claimOf(job: DueJob, nextRunMs: number | undefined): Claim {
  return { job, nextRunMs, recoverAtMs: job.nextRunMs + 5000 };
}

/**
 * The claim of `due`'s run that moves its every-minute job on a minute,
 * under the deadline `recoverAtMs`, with `more` (a plan, a replacement).
 */
export function nextMinuteClaim(
  due: DueJob,
  recoverAtMs: number,
  more: Partial<Claim> = {},
): Claim {
  return { job: due, nextRunMs: due.nextRunMs + 60_000, recoverAtMs, ...more };
}

/** `job` as the due index lists it now (undefined: not listed within the hour). */
export async function dueOf(jobs: JobStore, job: Job): Promise<DueJob | undefined> {
  const due = await jobs.dueJobs(job.partition, Date.now() + HOUR, 100);
  return due.find((d) => d.id === job.id);
}

/** A recurring job, and two owners of its partition: `old` one epoch below `fresh`. */
async function recurringJob(factory: JobStoreFactory, label: string) {
  const { jobs, partitions } = await factory(label);
  const job = makeJob(partitions, { schedule: EVERY_MINUTE });
  await jobs.createJob(job);
  const base = (await jobs.highestFenceEpoch()) + 10;
  const old = { partition: job.partition, epoch: base, owner: "a" };
  const fresh = { partition: job.partition, epoch: base + 1, owner: "b" };
  return { jobs, job, old, fresh };
}

/**
 * A recurring job whose first run is claimed with a recovery deadline that has
 * passed (`passed`, 1 ms after the run), as a record the sweep left unwritten.
 */
async function claimedWithPassedDeadline(factory: JobStoreFactory, label: string) {
  const { jobs, partitions } = await factory(label);
  const job = makeJob(partitions, { schedule: EVERY_MINUTE });
  await jobs.createJob(job);
  const due = (await dueOf(jobs, job))!;
  const passed = due.nextRunMs + 1;
  expect(
    await jobs.claimRuns([{ job: due, nextRunMs: due.nextRunMs + HOUR, recoverAtMs: passed }]),
  ).toEqual([true]);
  return { jobs, job, due, passed };
}

/**
 * The behaviour the core relies on from every `JobStore`: conditional
 * creates and updates, the due index per partition, claims that only one
 * caller wins, fences that a stale owner loses to, and the recovery record.
 */
export function jobStoreContract(adapter: string, factory: JobStoreFactory): void {
  describe(`JobStore contract: ${adapter}`, () => {
    it("creates a job once: the same id again is already_exists, another tenant does not see it", async () => {
      const { jobs, partitions } = await factory("create");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      await expect(jobs.createJob(job)).rejects.toMatchObject({ kind: "already_exists" });
      expect((await jobs.getJob(DEFAULT_TENANT, job.id))?.name).toBe(job.name);
      expect(await jobs.getJob("other", job.id)).toBeUndefined();
    });

    it("keeps the pause history written with a status change, and refuses it over a stale version", async () => {
      const { jobs, partitions } = await factory("pauses");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      const pauses = [{ pausedMs: 1000, by: "alice", note: "maintenance window" }];
      const paused = await jobs.updateJob(
        DEFAULT_TENANT,
        job.id,
        { status: "PAUSED", nextRunMs: null, pauses },
        { statusIn: ["ACTIVE"], version: 1 },
        Date.now(),
      );
      expect(paused.pauses).toEqual(pauses);
      expect((await jobs.getJob(DEFAULT_TENANT, job.id))?.pauses).toEqual(pauses);
      const resumed = [{ ...pauses[0]!, resumedMs: 2000, resumedBy: "bob", resumeNote: "done" }];
      await expect(
        jobs.updateJob(
          DEFAULT_TENANT,
          job.id,
          { status: "ACTIVE", pauses: resumed },
          { statusIn: ["PAUSED"], version: 1 },
          Date.now(),
        ),
      ).rejects.toMatchObject({ kind: "aborted" });
      await jobs.updateJob(
        DEFAULT_TENANT,
        job.id,
        { status: "ACTIVE", pauses: resumed },
        { statusIn: ["PAUSED"], version: 2 },
        Date.now(),
      );
      const after = await jobs.getJob(DEFAULT_TENANT, job.id);
      expect(after?.pauses).toEqual(resumed);
      // A change that leaves the history out keeps it.
      await jobs.updateJob(DEFAULT_TENANT, job.id, { name: "renamed" }, {}, Date.now());
      expect((await jobs.getJob(DEFAULT_TENANT, job.id))?.pauses).toEqual(resumed);
    });

    it("lists due jobs of one partition only, at or before the time asked, earliest first", async () => {
      const { jobs, partitions } = await factory("due");
      const now = Date.now();
      const a = makeJob(partitions, { nextRunMs: now + 2000 });
      const b = makeJob(partitions, { nextRunMs: now + 1000 });
      const late = makeJob(partitions, { nextRunMs: now + 10 * HOUR });
      for (const j of [a, b, late]) await jobs.createJob(j);
      for (const p of new Set([a.partition, b.partition])) {
        const due = await jobs.dueJobs(p, now + HOUR, 100);
        const ids = due.map((d) => d.id);
        expect(ids).not.toContain(late.id);
        expect(due.every((d) => d.partition === p)).toBe(true);
        const times = due.map((d) => d.nextRunMs);
        expect(times).toEqual([...times].sort((x, y) => x - y));
      }
      expect((await dueOf(jobs, a))?.tenant).toBe(DEFAULT_TENANT);
      expect((await dueOf(jobs, a))?.schedule).toEqual(a.schedule);
    });

    it("lets exactly one of two racing claims of the same run win, and moves the next run", async () => {
      const { jobs, partitions } = await factory("claim-race");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE });
      await jobs.createJob(job);
      const due = (await dueOf(jobs, job))!;
      const results = await Promise.all([
        jobs.claimRuns([claimOf(due, due.nextRunMs + 60_000)]),
        jobs.claimRuns([claimOf(due, due.nextRunMs + 60_000)]),
      ]);
      expect(results.flat().filter(Boolean)).toHaveLength(1);
      const stored = await jobs.getJob(DEFAULT_TENANT, job.id);
      expect(stored?.nextRunMs).toBe(due.nextRunMs + 60_000);
      expect(stored?.lastRunMs).toBe(due.nextRunMs);
    });

    it("refuses a claim from a stale read, and wins the others of a batch", async () => {
      const { jobs, partitions } = await factory("claim-stale");
      const all = Array.from({ length: 3 }, () => makeJob(partitions));
      for (const j of all) await jobs.createJob(j);
      const dues = (await Promise.all(all.map((j) => dueOf(jobs, j)))) as DueJob[];
      expect(await jobs.claimRuns([claimOf(dues[1]!, undefined)])).toEqual([true]);
      expect(await jobs.claimRuns(dues.map((d) => claimOf(d, undefined)))).toEqual([
        true,
        false,
        true,
      ]);
      const finished = await jobs.getJob(DEFAULT_TENANT, all[0]!.id);
      expect(finished?.status).toBe("FINISHED");
      expect(finished?.nextRunMs).toBeUndefined();
      expect(await dueOf(jobs, all[0]!)).toBeUndefined();
    });

    it("does not claim a paused job, and takes it out of the due index until resumed", async () => {
      const { jobs, partitions } = await factory("paused");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      const due = (await dueOf(jobs, job))!;
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "PAUSED" }, {}, Date.now());
      expect(await jobs.claimRuns([claimOf(due, undefined)])).toEqual([false]);
      await jobs.updateJob(DEFAULT_TENANT, job.id, { nextRunMs: null }, {}, Date.now());
      expect(await dueOf(jobs, job)).toBeUndefined();
      await jobs.updateJob(
        DEFAULT_TENANT,
        job.id,
        { status: "ACTIVE", nextRunMs: job.nextRunMs! },
        {},
        Date.now(),
      );
      expect(await dueOf(jobs, job)).toBeDefined();
    });

    it("fences a partition: a newer epoch wins, an older one is stale and its claims throw", async () => {
      const { jobs, job, old, fresh } = await recurringJob(factory, "fence");
      const base = old.epoch;
      expect(await jobs.fencePartition(old)).toBe(true);
      expect(await jobs.fencePartition(old)).toBe(true);
      expect(await jobs.fencePartition({ ...old, owner: "c" })).toBe(false);
      expect(await jobs.fencePartition(fresh)).toBe(true);
      expect(await jobs.fencePartition(old)).toBe(false);
      expect(await jobs.highestFenceEpoch()).toBeGreaterThanOrEqual(base + 1);
      const due = (await dueOf(jobs, job))!;
      expect(await jobs.claimRuns([claimOf(due, due.nextRunMs + 60_000)], fresh)).toEqual([true]);
      // The old owner loses the run the new one claimed, and learns it is stale.
      await expect(
        jobs.claimRuns([claimOf(due, due.nextRunMs + 60_000)], old),
      ).rejects.toBeInstanceOf(StaleOwnerError);
      // And every later run of a job the new owner claimed on (its fence is on the job).
      const next = (await dueOf(jobs, job))!;
      const refused = jobs.claimRuns([claimOf(next, next.nextRunMs + 60_000)], old);
      await expect(refused).rejects.toBeInstanceOf(StaleOwnerError);
      await expect(refused).rejects.toMatchObject({ won: [false] });
      expect((await jobs.getJob(DEFAULT_TENANT, job.id))?.nextRunMs).toBe(next.nextRunMs);
      expect(await jobs.claimRuns([claimOf(next, next.nextRunMs + 60_000)], fresh)).toEqual([true]);
    });

    it("a change that moves the next run sets the recovery deadline a recheck on, ahead of any cursor", async () => {
      const { jobs, job, due, passed } = await claimedWithPassedDeadline(factory, "moved");
      const at = passed + 10;
      await jobs.updateJob(DEFAULT_TENANT, job.id, { nextRunMs: at + 1000 }, {}, at);
      const page = await jobs.pendingRuns(job.partition, 0, at + HOUR, 100);
      expect(page.items.find((r) => r.jobId === job.id)).toMatchObject({
        recoverAtMs: at + MOVED_RUN_RECHECK_MS,
        scheduled: [due.nextRunMs],
      });
      // A change that leaves the next run alone leaves the deadline too.
      await jobs.updateJob(DEFAULT_TENANT, job.id, { name: "renamed" }, {}, at + 5);
      const again = await jobs.pendingRuns(job.partition, 0, at + HOUR, 100);
      expect(again.items.find((r) => r.jobId === job.id)?.recoverAtMs).toBe(
        at + MOVED_RUN_RECHECK_MS,
      );
    });

    it("keeps each partition's sweep mark beside its fence, whoever records it", async () => {
      const { jobs, partitions } = await factory("mark");
      const last = partitions - 1;
      expect(await jobs.sweptTo(0)).toBeUndefined();
      // Before any fence: the fence is written beside it later.
      await jobs.recordSweptTo(last, 1_000);
      const fence = { partition: last, epoch: 7, owner: "a" };
      expect(await jobs.fencePartition(fence)).toBe(true);
      expect(await jobs.sweptTo(last)).toBe(1_000);
      // After a fence: the fence stays, and a newer owner's mark replaces it.
      await jobs.recordSweptTo(last, 2_000);
      expect(await jobs.fencePartition(fence)).toBe(true);
      expect(await jobs.fencePartition({ ...fence, epoch: 6 })).toBe(false);
      expect(await jobs.sweptTo(last)).toBe(2_000);
      expect(await jobs.sweptTo(0)).toBeUndefined();
    });

    it("lets a stale owner claim a run of a job the new owner has not touched, once, recorded for recovery", async () => {
      const { jobs, job, old, fresh } = await recurringJob(factory, "fence-untouched");
      const p = job.partition;
      expect(await jobs.fencePartition(old)).toBe(true);
      expect(await jobs.fencePartition(fresh)).toBe(true);
      const due = (await dueOf(jobs, job))!;
      const claim = claimOf(due, due.nextRunMs + 60_000);
      expect(await jobs.claimRuns([claim], old)).toEqual([true]);
      // The new owner's claim of the same run loses the race (and is not stale).
      expect(await jobs.claimRuns([claim], fresh)).toEqual([false]);
      const pending = await jobs.pendingRuns(p, 0, claim.recoverAtMs, 100);
      expect(pending.items.find((r) => r.jobId === job.id)?.scheduled).toEqual([due.nextRunMs]);
      // The new owner claims the next run over the old owner's fence.
      const next = (await dueOf(jobs, job))!;
      expect(await jobs.claimRuns([claimOf(next, next.nextRunMs + 60_000)], fresh)).toEqual([true]);
    });

    it("updates conditionally: wrong version is aborted, wrong status failed_precondition, another tenant not_found", async () => {
      const { jobs, partitions } = await factory("update");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      const now = Date.now();
      const changed = await jobs.updateJob(
        DEFAULT_TENANT,
        job.id,
        { name: "b" },
        { version: 1 },
        now,
      );
      expect(changed).toMatchObject({ name: "b", version: 2, updatedMs: now });
      await expect(
        jobs.updateJob(DEFAULT_TENANT, job.id, { name: "c" }, { version: 1 }, now),
      ).rejects.toMatchObject({ kind: "aborted" });
      await expect(
        jobs.updateJob(DEFAULT_TENANT, job.id, { name: "c" }, { statusIn: ["PAUSED"] }, now),
      ).rejects.toMatchObject({ kind: "failed_precondition" });
      await expect(jobs.updateJob("other", job.id, { name: "c" }, {}, now)).rejects.toMatchObject({
        kind: "not_found",
      });
      expect((await jobs.getJob(DEFAULT_TENANT, job.id))?.name).toBe("b");
    });

    it("records a claimed run for recovery: found in its deadline window, settled when started", async () => {
      const { jobs, partitions } = await factory("recovery");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE });
      await jobs.createJob(job);
      const due = (await dueOf(jobs, job))!;
      expect(await jobs.claimRuns([claimOf(due, due.nextRunMs + 60_000)])).toEqual([true]);
      const deadline = due.nextRunMs + 5000;
      const before = await jobs.pendingRuns(job.partition, 0, deadline - 1, 100);
      expect(before.items.map((r) => r.jobId)).not.toContain(job.id);
      const page = await jobs.pendingRuns(job.partition, deadline - 1, deadline, 100);
      const pending = page.items.find((r) => r.jobId === job.id)!;
      expect(pending).toMatchObject({
        scheduled: [due.nextRunMs],
        manual: [],
        active: true,
        nextRunMs: due.nextRunMs + 60_000,
      });
      // A claim since the read makes clearing the deadline refused.
      const next = (await dueOf(jobs, job))!;
      expect(await jobs.claimRuns([claimOf(next, next.nextRunMs + 60_000)])).toEqual([true]);
      const stale = { jobId: job.id, claimSeq: pending.claimSeq, startedManual: [] };
      expect(
        await jobs.settleRuns({
          ...stale,
          startedScheduled: [due.nextRunMs],
          recoverAtMs: undefined,
        }),
      ).toBe(false);
      expect(
        await jobs.settleRuns({
          ...stale,
          startedScheduled: [due.nextRunMs],
          recoverAtMs: deadline + 1,
        }),
      ).toBe(true);
      const after = await jobs.pendingRuns(job.partition, deadline, deadline + 1, 100);
      expect(after.items.find((r) => r.jobId === job.id)?.scheduled).toEqual([next.nextRunMs]);
    });

    it("records a run's planned start in its flexible window with the claim, and removes it with the started run", async () => {
      const { jobs, partitions } = await factory("plans");
      const job = makeJob(partitions, { schedule: { ...EVERY_MINUTE, flexibleWindowMs: 30_000 } });
      await jobs.createJob(job);
      const due = (await dueOf(jobs, job))!;
      const plannedMs = due.nextRunMs + 12_345;
      const deadline = plannedMs + 5000;
      expect(await jobs.claimRuns([nextMinuteClaim(due, deadline, { plannedMs })])).toEqual([true]);
      // The next run's claim records its own plan beside the first.
      const next = (await dueOf(jobs, job))!;
      const nextPlan = { plannedMs: next.nextRunMs + 1 };
      expect(await jobs.claimRuns([nextMinuteClaim(next, deadline, nextPlan)])).toEqual([true]);
      const page = await jobs.pendingRuns(job.partition, deadline - 1, deadline, 100);
      const pending = page.items.find((r) => r.jobId === job.id)!;
      const byTime = (plans: PendingRuns["plans"]) =>
        [...(plans ?? [])].sort((a, b) => a.scheduledMs - b.scheduledMs);
      expect(byTime(pending.plans)).toEqual([
        { scheduledMs: due.nextRunMs, plannedMs },
        { scheduledMs: next.nextRunMs, plannedMs: next.nextRunMs + 1 },
      ]);
      expect(
        await jobs.settleRuns({
          jobId: job.id,
          startedScheduled: [due.nextRunMs],
          startedManual: [],
          startedPlans: [{ scheduledMs: due.nextRunMs, plannedMs }],
          recoverAtMs: deadline + 1,
        }),
      ).toBe(true);
      const after = await jobs.pendingRuns(job.partition, deadline, deadline + 1, 100);
      expect(after.items.find((r) => r.jobId === job.id)?.plans).toEqual([
        { scheduledMs: next.nextRunMs, plannedMs: next.nextRunMs + 1 },
      ]);
    });

    it("records a manual run for recovery, and refuses one on a cancelled job", async () => {
      const { jobs, partitions } = await factory("manual");
      const job = makeJob(partitions, { nextRunMs: Date.now() + HOUR });
      await jobs.createJob(job);
      const at = Date.now();
      await jobs.recordManualRun(DEFAULT_TENANT, job.id, at, at + 5000);
      const page = await jobs.pendingRuns(job.partition, at, at + 5000, 100);
      expect(page.items.find((r) => r.jobId === job.id)?.manual).toEqual([at]);
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "CANCELLED" }, {}, at);
      await expect(
        jobs.recordManualRun(DEFAULT_TENANT, job.id, at + 1, at + 5001),
      ).rejects.toMatchObject({ kind: "failed_precondition" });
      await expect(jobs.recordManualRun("other", job.id, at, at + 1)).rejects.toMatchObject({
        kind: "not_found",
      });
    });

    it("a manual run replaces a passed recovery deadline, which the sweep may have left behind its cursor", async () => {
      const { jobs, job, due, passed } = await claimedWithPassedDeadline(factory, "manual-passed");
      const at = passed + 1;
      await jobs.recordManualRun(DEFAULT_TENANT, job.id, at, at + 5000);
      const page = await jobs.pendingRuns(job.partition, 0, at + 5000, 100);
      expect(page.items.find((r) => r.jobId === job.id)).toMatchObject({
        recoverAtMs: at + 5000,
        scheduled: [due.nextRunMs],
        manual: [at],
      });
    });

    it("lists a tenant's jobs in pages, filtered", async () => {
      const { jobs, partitions } = await factory("list");
      const mine = Array.from({ length: 3 }, (_, i) =>
        makeJob(partitions, { tags: i ? ["x"] : [] }),
      );
      for (const j of mine) await jobs.createJob(j);
      await jobs.createJob(makeJob(partitions, { tenant: "other", tags: ["x"] }));
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await jobs.listJobs(DEFAULT_TENANT, {
          tag: "x",
          pageSize: 1,
          ...(token ? { pageToken: token } : {}),
        });
        seen.push(...page.items.map((j) => j.id));
        token = page.nextToken;
      } while (token);
      expect(seen.sort()).toEqual([mine[1]!.id, mine[2]!.id].sort());
    });
  });
}
