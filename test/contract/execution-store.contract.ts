import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { INACTIVE_JOB_REASON } from "../../src/core/claim-rules.js";
import { executionId, type RunRef } from "../../src/core/execution.js";
import type { Job } from "../../src/core/job.js";
import type { ExecutionStore } from "../../src/core/ports/execution-store.js";
import type { JobStore } from "../../src/core/ports/job-store.js";
import { makeJob } from "../support/jobs.js";

/** A fresh, initialised execution store and the job store whose jobs its starts check. */
export type ExecutionStoreFactory = (
  label: string,
) => Promise<{ jobs: JobStore; executions: ExecutionStore; partitions: number }>;

function runOf(job: Job, overrides: Partial<RunRef> = {}): RunRef {
  return {
    tenant: job.tenant,
    jobId: job.id,
    partition: job.partition,
    scheduledMs: job.nextRunMs!,
    attempt: 1,
    manual: false,
    ...overrides,
  };
}

/**
 * The behaviour the core relies on from every `ExecutionStore`: a start per
 * execution id happens once and only while the job may run; only the worker
 * holding an attempt ends it; a lost worker's attempt is re-queued once.
 */
export function executionStoreContract(adapter: string, factory: ExecutionStoreFactory): void {
  describe(`ExecutionStore contract: ${adapter}`, () => {
    it("records why a run waited, in the start's own write", async () => {
      const { jobs, executions, partitions } = await factory("start-wait");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      const run = runOf(job);
      const wait = { reason: "TENANT_CONCURRENCY" as const, waitedMs: 1500, resends: 2 };
      expect(await executions.startExecution(run, "w", Date.now(), { wait })).toBe("started");
      const started = await executions.getExecution(DEFAULT_TENANT, executionId(run));
      expect(started?.wait).toEqual(wait);
    });

    it("reads a job's attempts by scheduled-time range, in order, in the caller's tenant only", async () => {
      const { jobs, executions, partitions } = await factory("between");
      const job = makeJob(partitions);
      const other = makeJob(partitions);
      await jobs.createJob(job);
      await jobs.createJob(other);
      const base = 1_700_000_000_000;
      for (const at of [base, base + 60_000, base + 120_000, base + 180_000]) {
        await executions.startExecution(runOf(job, { scheduledMs: at }), "w", at);
      }
      await executions.cancelExecution(
        runOf(job, { scheduledMs: base + 60_000, attempt: 2 }),
        "retry dropped",
        base,
      );
      await executions.startExecution(runOf(other, { scheduledMs: base + 60_000 }), "w", base);
      const found = await executions.executionsBetween(
        DEFAULT_TENANT,
        job.id,
        base + 60_000,
        base + 120_000,
        100,
      );
      expect(found.map((e) => [e.scheduledMs - base, e.attempt])).toEqual([
        [60_000, 1],
        [60_000, 2],
        [120_000, 1],
      ]);
      expect(found.every((e) => e.jobId === job.id)).toBe(true);
      expect(
        await executions.executionsBetween(DEFAULT_TENANT, job.id, base, base + 180_000, 2),
      ).toHaveLength(2);
      expect(
        await executions.executionsBetween("other", job.id, base, base + 180_000, 100),
      ).toEqual([]);
    });

    it("starts an attempt once: a redelivered run is a duplicate, however many start it at once", async () => {
      const { jobs, executions, partitions } = await factory("start-once");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      const run = runOf(job);
      const outcomes = await Promise.all(
        ["w1", "w2", "w3"].map((w) => executions.startExecution(run, w, Date.now())),
      );
      expect(outcomes.filter((o) => o === "started")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(2);
      expect(await executions.startExecution(run, "w4", Date.now())).toBe("duplicate");
      const started = await executions.getExecution(DEFAULT_TENANT, executionId(run));
      expect(started?.status).toBe("RUNNING");
      expect(started?.wait).toBeUndefined();
      expect(await executions.getExecution("other", executionId(run))).toBeUndefined();
      const keys = await executions.startedRuns([
        { jobId: job.id, scheduledMs: run.scheduledMs },
        { jobId: job.id, scheduledMs: run.scheduledMs + 1 },
      ]);
      expect([...keys]).toEqual([`${job.id}:${run.scheduledMs}`]);
      // The recovery sweep's cheaper read finds a start as well, once it has settled.
      const eventually = await executions.startedRuns(
        [{ jobId: job.id, scheduledMs: run.scheduledMs }],
        { consistent: false },
      );
      expect([...eventually]).toEqual([`${job.id}:${run.scheduledMs}`]);
    });

    it("does not start a scheduled run of a paused or cancelled job; a manual run of a paused one starts", async () => {
      const { jobs, executions, partitions } = await factory("inactive");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "PAUSED" }, {}, Date.now());
      expect(await executions.startExecution(runOf(job), "w", Date.now())).toBe("job_inactive");
      // The refused attempt is recorded as ended: resumed or not, it never starts.
      expect(await executions.getExecution(DEFAULT_TENANT, executionId(runOf(job)))).toMatchObject({
        status: "CANCELLED",
        error: INACTIVE_JOB_REASON,
      });
      const resume = { status: "ACTIVE" as const, nextRunMs: job.nextRunMs! };
      await jobs.updateJob(DEFAULT_TENANT, job.id, resume, {}, Date.now());
      expect(await executions.startExecution(runOf(job), "w", Date.now())).toBe("duplicate");
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "PAUSED" }, {}, Date.now());
      expect(
        await executions.startExecution(runOf(job, { manual: true, scheduledMs: 1 }), "w", 1),
      ).toBe("started");
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "CANCELLED" }, {}, Date.now());
      expect(
        await executions.startExecution(runOf(job, { manual: true, scheduledMs: 2 }), "w", 2),
      ).toBe("job_inactive");
    });

    it("lets only the holding worker finish or checkpoint an attempt, once", async () => {
      const { jobs, executions, partitions } = await factory("finish");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      const run = runOf(job);
      await executions.startExecution(run, "w1", Date.now());
      const id = executionId(run);
      const outcome = { status: "SUCCEEDED" as const, result: "ok", endedMs: Date.now() };
      expect(await executions.saveCheckpoint(id, "w2", new Uint8Array([1]))).toBe(false);
      expect(await executions.finishExecution(id, "w2", outcome)).toBe(false);
      expect(await executions.saveCheckpoint(id, "w1", new Uint8Array([1]))).toBe(true);
      expect(await executions.finishExecution(id, "w1", outcome)).toBe(true);
      expect(await executions.finishExecution(id, "w1", outcome)).toBe(false);
      expect(await executions.getExecution(DEFAULT_TENANT, id)).toMatchObject({
        status: "SUCCEEDED",
        result: "ok",
      });
      // A cancel record never replaces a started attempt.
      await executions.cancelExecution(run, "paused", Date.now());
      expect((await executions.getExecution(DEFAULT_TENANT, id))?.status).toBe("SUCCEEDED");
    });

    it("re-queues a lost worker's attempt once, carrying its checkpoint to the next attempt", async () => {
      const { jobs, executions, partitions } = await factory("requeue");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      const run = runOf(job);
      await executions.startExecution(run, "lost", Date.now());
      await executions.saveCheckpoint(executionId(run), "lost", new Uint8Array([7, 8]));
      const running = (await executions.getExecution(DEFAULT_TENANT, executionId(run)))!;
      const now = Date.now();
      const next = await executions.requeue(running, "worker lost", now, now + 5000);
      expect(next).toMatchObject({ attempt: 2, jobId: job.id });
      expect(await executions.requeue(running, "worker lost", now, now + 5000)).toBeUndefined();
      expect((await executions.getExecution(DEFAULT_TENANT, executionId(run)))?.status).toBe(
        "FAILED",
      );

      const page = await executions.queuedAttempts(job.partition, now, now + 5000, 100);
      expect(page.items.map((q) => q.run)).toContainEqual(next);
      expect(await executions.deferQueued(next!, now + 9000)).toBe(true);
      const inherited: { checkpoint?: Uint8Array } = {};
      expect(await executions.startExecution(next!, "w2", Date.now(), { inherited })).toBe(
        "started",
      );
      expect([...(inherited.checkpoint ?? [])]).toEqual([7, 8]);
      expect(await executions.deferQueued(next!, now + 9000)).toBe(false);
      const later = await executions.queuedAttempts(job.partition, now, now + 10_000, 100);
      expect(later.items.map((q) => q.run)).not.toContainEqual(next);
    });

    it("lists a job's executions in the caller's tenant, newest first", async () => {
      const { jobs, executions, partitions } = await factory("list");
      const job = makeJob(partitions);
      await jobs.createJob(job);
      for (const t of [1, 3, 2])
        await executions.startExecution(runOf(job, { scheduledMs: t }), "w", t);
      const page = await executions.listExecutions(DEFAULT_TENANT, { jobId: job.id, pageSize: 10 });
      expect(page.items.map((e) => e.scheduledMs)).toEqual([3, 2, 1]);
      const other = await executions.listExecutions("other", { jobId: job.id, pageSize: 10 });
      expect(other.items).toEqual([]);
    });
  });
}
