import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { executionId, type StartReads } from "../../src/core/execution.js";
import type { Job } from "../../src/core/job.js";
import type { ExecutionStore } from "../../src/core/ports/execution-store.js";
import type { Claim, DueJob, JobStore } from "../../src/core/ports/job-store.js";
import { spendRuns } from "../../src/core/run-budget.js";
import { EVERY_MINUTE, makeJob, makeRun } from "../support/jobs.js";

/** What the suite needs: a fresh, initialised pair of stores on one backend. */
export type PolicyStoresFactory = (
  label: string,
) => Promise<{ jobs: JobStore; executions: ExecutionStore; partitions: number }>;

const HOUR = 3_600_000;

async function dueOf(jobs: JobStore, job: Job): Promise<DueJob | undefined> {
  const due = await jobs.dueJobs(job.partition, Date.now() + HOUR, 100);
  return due.find((d) => d.id === job.id);
}

/** A claim of a due run as the claimer builds it: spending the job's runs left. */
function claimOf(due: DueJob, runs?: number[]): Claim {
  const spent = spendRuns(runs ?? [due.nextRunMs], due.remainingRuns);
  const claim: Claim = {
    job: due,
    nextRunMs: spent.finishes ? undefined : due.nextRunMs + 60_000 * (runs?.length ?? 1),
    recoverAtMs: due.nextRunMs + 5000,
    runs: spent.runs,
  };
  if (spent.left !== undefined) claim.remainingRuns = spent.left;
  return claim;
}

/**
 * What failure policies and run limits rely on from every store: the count
 * of failed runs in a row and its failing mark (once per execution, never a
 * version change), the mark read with a run's start, and `remaining_runs`
 * spent by the claim's compare-and-set, the last claim finishing the job.
 */
export function failurePolicyContract(adapter: string, factory: PolicyStoresFactory): void {
  describe(`failure policy and run limit contract: ${adapter}`, () => {
    it("counts a failed run once per execution, without a version change; a success ends the spell once", async () => {
      const { jobs, partitions } = await factory("fail-count");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE });
      await jobs.createJob(job);
      const first = await jobs.countFailure(DEFAULT_TENANT, job.id, `${job.id}:1:1`);
      expect(first?.consecutiveFailures).toBe(1);
      // The same execution again (a retried write whose first try was applied).
      const again = await jobs.countFailure(DEFAULT_TENANT, job.id, `${job.id}:1:1`);
      expect(again?.consecutiveFailures).toBe(1);
      const second = await jobs.countFailure(DEFAULT_TENANT, job.id, `${job.id}:2:1`);
      expect(second).toMatchObject({ consecutiveFailures: 2, version: 1 });
      expect(await jobs.countFailure("other", job.id, `${job.id}:3:1`)).toBeUndefined();

      const [one, other] = await Promise.all([
        jobs.clearFailures(DEFAULT_TENANT, job.id),
        jobs.clearFailures(DEFAULT_TENANT, job.id),
      ]);
      // Of two successes after the same failures, one recovers.
      expect([one, other].filter(Boolean)).toHaveLength(1);
      expect((one ?? other)?.consecutiveFailures).toBe(2);
      const after = await jobs.getJob(DEFAULT_TENANT, job.id);
      expect(after?.consecutiveFailures).toBeUndefined();
      expect(await jobs.clearFailures(DEFAULT_TENANT, job.id)).toBeUndefined();
    });

    it("a resume sets the count to 0 but the job stays failing until a success", async () => {
      const { jobs, partitions } = await factory("fail-resume");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE });
      await jobs.createJob(job);
      await jobs.countFailure(DEFAULT_TENANT, job.id, `${job.id}:1:1`);
      const resumed = await jobs.updateJob(
        DEFAULT_TENANT,
        job.id,
        { clearFailures: true },
        { version: 1 },
        Date.now(),
      );
      expect(resumed.consecutiveFailures).toBeUndefined();
      const recovered = await jobs.clearFailures(DEFAULT_TENANT, job.id);
      expect(recovered).toBeDefined();
      expect(recovered?.consecutiveFailures).toBeUndefined();
    });

    it("counts nothing on a cancelled or unknown job", async () => {
      const { jobs, partitions } = await factory("fail-cancelled");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE });
      await jobs.createJob(job);
      await jobs.updateJob(DEFAULT_TENANT, job.id, { status: "CANCELLED" }, {}, Date.now());
      expect(await jobs.countFailure(DEFAULT_TENANT, job.id, `${job.id}:1:1`)).toBeUndefined();
      const unknown = makeJob(partitions);
      expect(await jobs.countFailure(DEFAULT_TENANT, unknown.id, "x")).toBeUndefined();
      expect(await jobs.getJob(DEFAULT_TENANT, unknown.id)).toBeUndefined();
    });

    it("a run's start that reads its job reads whether it is failing; a claimed run's reads nothing", async () => {
      const { jobs, executions, partitions } = await factory("fail-start");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE });
      await jobs.createJob(job);
      const run = (ms: number) => ({
        ...makeRun(DEFAULT_TENANT, ms),
        jobId: job.id,
        partition: job.partition,
      });
      const healthy: StartReads = {};
      expect(
        await executions.startExecution(run(1000), "w", Date.now(), { inherited: healthy }),
      ).toBe("started");
      expect(healthy.failing).toBe(false);
      await jobs.countFailure(DEFAULT_TENANT, job.id, executionId(run(1000)));
      const failing: StartReads = {};
      expect(
        await executions.startExecution(run(2000), "w", Date.now(), { inherited: failing }),
      ).toBe("started");
      expect(failing.failing).toBe(true);
      // A claimed run's message carries it instead (`Claim.found`).
      const claimed: StartReads = {};
      const options = { inherited: claimed, claimed: true };
      expect(await executions.startExecution(run(3000), "w", Date.now(), options)).toBe("started");
      expect(claimed.failing).toBeUndefined();
    });

    it("a won claim finds whether its job is failing and has a pause policy, with no read", async () => {
      const { jobs, partitions } = await factory("fail-claim");
      const plain = makeJob(partitions, { schedule: EVERY_MINUTE, nextRunMs: Date.now() - 1000 });
      const policy = makeJob(partitions, {
        schedule: EVERY_MINUTE,
        nextRunMs: Date.now() - 1000,
        pauseAfterFailures: 3,
      });
      await jobs.createJob(plain);
      await jobs.createJob(policy);
      const first = claimOf((await dueOf(jobs, plain))!);
      const withPolicy = claimOf((await dueOf(jobs, policy))!);
      expect(await jobs.claimRuns([first, withPolicy])).toEqual([true, true]);
      expect(first.found).toEqual({ failing: false, pausesAfterFailures: false });
      expect(withPolicy.found).toEqual({ failing: false, pausesAfterFailures: true });
      await jobs.countFailure(DEFAULT_TENANT, plain.id, `${plain.id}:1:1`);
      const next = claimOf((await dueOf(jobs, plain))!);
      expect(await jobs.claimRuns([next])).toEqual([true]);
      expect(next.found).toEqual({ failing: true, pausesAfterFailures: false });
      // A lost claim finds nothing.
      const lost = claimOf({ ...next.job });
      expect(await jobs.claimRuns([lost])).toEqual([false]);
      expect(lost.found).toBeUndefined();
    });

    it("stores pause_after_failures and remaining_runs; an update sets, and removes, both", async () => {
      const { jobs, partitions } = await factory("policy-fields");
      const job = makeJob(partitions, {
        schedule: EVERY_MINUTE,
        pauseAfterFailures: 3,
        remainingRuns: 5,
        grantedRuns: 5,
      });
      await jobs.createJob(job);
      expect(await jobs.getJob(DEFAULT_TENANT, job.id)).toMatchObject({
        pauseAfterFailures: 3,
        remainingRuns: 5,
        grantedRuns: 5,
      });
      expect((await dueOf(jobs, job))?.remainingRuns).toBe(5);
      const set = await jobs.updateJob(
        DEFAULT_TENANT,
        job.id,
        { pauseAfterFailures: 10, remainingRuns: 2 },
        {},
        Date.now(),
      );
      expect(set).toMatchObject({ pauseAfterFailures: 10, remainingRuns: 2, grantedRuns: 2 });
      const cleared = await jobs.updateJob(
        DEFAULT_TENANT,
        job.id,
        { pauseAfterFailures: 0, remainingRuns: null },
        {},
        Date.now(),
      );
      expect(cleared.pauseAfterFailures).toBeUndefined();
      expect(cleared.remainingRuns).toBeUndefined();
      expect(cleared.grantedRuns).toBeUndefined();
      expect((await dueOf(jobs, job))?.remainingRuns).toBeUndefined();
    });

    it("a claim spends remaining_runs by compare-and-set; the last one finishes the job", async () => {
      const { jobs, partitions } = await factory("remaining-claims");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE, remainingRuns: 2, grantedRuns: 2 });
      await jobs.createJob(job);
      const due = (await dueOf(jobs, job))!;
      // Two claims of the same read: one wins.
      const won = await Promise.all([
        jobs.claimRuns([claimOf(due)]),
        jobs.claimRuns([claimOf(due)]),
      ]);
      expect(won.flat().filter(Boolean)).toHaveLength(1);
      let stored = await jobs.getJob(DEFAULT_TENANT, job.id);
      expect(stored).toMatchObject({ remainingRuns: 1, status: "ACTIVE" });

      // A count changed since the read (an UpdateJob): the claim loses.
      const next = (await dueOf(jobs, job))!;
      await jobs.updateJob(DEFAULT_TENANT, job.id, { remainingRuns: 3 }, {}, Date.now());
      expect(await jobs.claimRuns([claimOf(next)])).toEqual([false]);
      await jobs.updateJob(DEFAULT_TENANT, job.id, { remainingRuns: 1 }, {}, Date.now());

      // A claim made from a read without a count loses to a job that has one.
      const unlimited: DueJob = { ...next };
      delete unlimited.remainingRuns;
      expect(await jobs.claimRuns([{ ...claimOf(unlimited) }])).toEqual([false]);

      const last = (await dueOf(jobs, job))!;
      expect(last.remainingRuns).toBe(1);
      // A catch-up of three runs with one left: the earliest fires, the job is FINISHED.
      const catchUp = claimOf(last, [
        last.nextRunMs,
        last.nextRunMs + 60_000,
        last.nextRunMs + 120_000,
      ]);
      expect(catchUp.runs).toEqual([last.nextRunMs]);
      expect(await jobs.claimRuns([catchUp])).toEqual([true]);
      stored = await jobs.getJob(DEFAULT_TENANT, job.id);
      expect(stored).toMatchObject({
        status: "FINISHED",
        remainingRuns: 0,
        lastRunMs: last.nextRunMs,
      });
      expect(stored?.nextRunMs).toBeUndefined();
      expect(await dueOf(jobs, job)).toBeUndefined();
    });
  });
}
