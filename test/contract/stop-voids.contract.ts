import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { INACTIVE_JOB_REASON } from "../../src/core/claim-rules.js";
import { systemClock } from "../../src/core/clock.js";
import { notFound } from "../../src/core/errors.js";
import { executionId, type RunRef } from "../../src/core/execution.js";
import type { Job } from "../../src/core/job.js";
import { createJobStates } from "../../src/core/job-states.js";
import type { ExecutionStore } from "../../src/core/ports/execution-store.js";
import type { DueJob } from "../../src/core/ports/job-store.js";
import { EVERY_MINUTE, makeJob } from "../support/jobs.js";
import type { ExecutionStoreFactory } from "./execution-store.contract.js";
import { nextMinuteClaim } from "./job-store.contract.js";

const HOUR = 3_600_000;
const who = { by: "tests" };

/**
 * What a stop (PauseJob, DeleteJob) relies on from every store, now that the
 * start of a run a claim or TriggerJob sent reads no job: the claim record
 * read with the job's status, CANCELLED records that refuse those starts,
 * and the rule that a start written before them keeps its run.
 */
export function stopVoidsContract(adapter: string, factory: ExecutionStoreFactory): void {
  describe(`a stop voids its job's claimed runs: ${adapter}`, () => {
    async function setup(label: string) {
      const { jobs, executions, partitions } = await factory(label);
      /** The API's stops over these stores; `voids` takes the CANCELLED records. */
      const statesWith = (voids: Pick<ExecutionStore, "cancelExecution">) =>
        createJobStates({
          jobs,
          executions: voids,
          clock: systemClock,
          load: async (tenant, id) => {
            const job = await jobs.getJob(tenant, id);
            if (!job) throw notFound(`job ${id}`);
            return job;
          },
          scheduled: (job) => job,
        });
      const states = statesWith(executions);
      /** A recurring job whose next run is claimed (recorded, as the claimer records it). */
      async function claimedJob() {
        const job = makeJob(partitions, { schedule: EVERY_MINUTE });
        await jobs.createJob(job);
        const due = (await jobs.dueJobs(job.partition, Date.now() + HOUR, 100)).find(
          (d: DueJob) => d.id === job.id,
        )!;
        expect(await jobs.claimRuns([nextMinuteClaim(due, due.nextRunMs)])).toEqual([true]);
        return { job, run: runOf(job, { scheduledMs: due.nextRunMs }) };
      }
      /** A TriggerJob run of `job`, recorded in its claim record. */
      async function triggered(job: Job, at: number): Promise<RunRef> {
        await jobs.recordManualRun(DEFAULT_TENANT, job.id, at, at + 5000);
        return runOf(job, { scheduledMs: at, manual: true });
      }
      const start = (run: RunRef, worker = "w") =>
        executions.startExecution(run, worker, Date.now(), { claimed: true });
      const status = async (run: RunRef) =>
        (await executions.getExecution(DEFAULT_TENANT, executionId(run)))?.status;
      return { jobs, executions, states, statesWith, claimedJob, triggered, start, status };
    }

    it("reads a job's claim record with its status, as claims, triggers and settles leave it", async () => {
      const { jobs, claimedJob, triggered } = await setup("claim-record");
      const { job, run } = await claimedJob();
      const at = Date.now();
      await triggered(job, at);
      expect(await jobs.claimedRuns(job.id)).toEqual({
        status: "ACTIVE",
        scheduled: [run.scheduledMs],
        manual: [at],
      });
      // A run seen started leaves the record; the status is read with it.
      const settled = { jobId: job.id, startedScheduled: [run.scheduledMs], startedManual: [] };
      expect(await jobs.settleRuns({ ...settled, recoverAtMs: at + 10_000 })).toBe(true);
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "PAUSED", nextRunMs: null }, {}, at);
      expect(await jobs.claimedRuns(job.id)).toEqual({
        status: "PAUSED",
        scheduled: [],
        manual: [at],
      });
      expect(await jobs.claimedRuns("no-such-job")).toBeUndefined();
    });

    it("paused before the start wins: the claimed run is recorded CANCELLED, a triggered one still starts", async () => {
      const { states, claimedJob, triggered, start, status, executions } = await setup("pause");
      const { job, run } = await claimedJob();
      const manual = await triggered(job, run.scheduledMs + 1);
      await states.pause(DEFAULT_TENANT, job.id, who);
      // The start reads no job: the record the pause wrote refuses it.
      expect(await start(run)).toBe("duplicate");
      expect(await executions.getExecution(DEFAULT_TENANT, executionId(run))).toMatchObject({
        status: "CANCELLED",
        error: INACTIVE_JOB_REASON,
      });
      // A manual run is asked for: it runs while the job is paused.
      expect(await start(manual)).toBe("started");
      expect(await status(manual)).toBe("RUNNING");
    });

    it("deleted before the start wins: every claimed run, triggered ones too, is recorded CANCELLED", async () => {
      const { states, claimedJob, triggered, start, status } = await setup("delete");
      const { job, run } = await claimedJob();
      const manual = await triggered(job, run.scheduledMs + 1);
      await states.cancel(DEFAULT_TENANT, job.id);
      expect(await start(run)).toBe("duplicate");
      expect(await start(manual)).toBe("duplicate");
      expect(await status(run)).toBe("CANCELLED");
      expect(await status(manual)).toBe("CANCELLED");
    });

    it("a start written before the stop's records keeps its run: it began before the stop answered", async () => {
      const { jobs, states, claimedJob, start, status } = await setup("race");
      const { job, run } = await claimedJob();
      // The status change is committed, the pause has not answered yet:
      // the start, which reads no job, is written first.
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "PAUSED", nextRunMs: null }, {}, 0);
      expect(await start(run)).toBe("started");
      // The pause (asked again, as a client retries) writes its records; this one is refused.
      await states.pause(DEFAULT_TENANT, job.id, who);
      expect(await status(run)).toBe("RUNNING");
      expect(await start(run, "w2")).toBe("duplicate");
    });

    it("a stop that failed half way answers with the error; asked again, it writes its records", async () => {
      const { jobs, states, statesWith, claimedJob, start, status } = await setup("again");
      const { job, run } = await claimedJob();
      const failing = statesWith({
        cancelExecution: () => Promise.reject(new Error("injected: store unavailable")),
      });
      await expect(failing.cancel(DEFAULT_TENANT, job.id)).rejects.toThrow("injected");
      expect((await jobs.getJob(DEFAULT_TENANT, job.id))?.status).toBe("CANCELLED");
      // The client retries: the job is CANCELLED already, its records are written all the same.
      await states.cancel(DEFAULT_TENANT, job.id);
      expect(await start(run)).toBe("duplicate");
      expect(await status(run)).toBe("CANCELLED");
    });

    it("a run outside the claim record (a re-queued attempt) is still checked against the job", async () => {
      const { jobs, executions, claimedJob, start } = await setup("outside");
      const { job, run } = await claimedJob();
      expect(await start(run)).toBe("started");
      const running = (await executions.getExecution(DEFAULT_TENANT, executionId(run)))!;
      const next = (await executions.requeue(running, "worker lost", Date.now(), Date.now()))!;
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "PAUSED", nextRunMs: null }, {}, 0);
      // Even sent as claimed, the start that replaces a QUEUED record reads the job.
      expect(await start(next)).toBe("job_inactive");
    });
  });
}

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
