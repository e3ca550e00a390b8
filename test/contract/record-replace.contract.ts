import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { EVERY_MINUTE, makeJob } from "../support/jobs.js";
import { dueOf, type JobStoreFactory, nextMinuteClaim } from "./job-store.contract.js";

/**
 * What a claim that replaces a job's record (`Claim.replacesRecord`: every
 * run in it started) relies on from every `JobStore`: its runs and plan
 * take the place of the record's, the manual runs stay, and it is as
 * conditional on the deadline read as any claim.
 */
export function recordReplaceContract(adapter: string, factory: JobStoreFactory): void {
  describe(`JobStore contract, record replaced by a claim: ${adapter}`, () => {
    it("records the claim's run and plan in place of the record's, keeps its manual runs, and refuses a deadline read stale", async () => {
      const { jobs, partitions } = await factory("replace");
      const job = makeJob(partitions, { schedule: { ...EVERY_MINUTE, flexibleWindowMs: 30_000 } });
      await jobs.createJob(job);
      const first = (await dueOf(jobs, job))!;
      const deadline = first.nextRunMs + 5000;
      const firstPlan = { plannedMs: first.nextRunMs + 7 };
      expect(await jobs.claimRuns([nextMinuteClaim(first, deadline, firstPlan)])).toEqual([true]);
      const manualAt = Date.now();
      await jobs.recordManualRun(DEFAULT_TENANT, job.id, manualAt, deadline);
      const second = (await dueOf(jobs, job))!;
      expect(second.recoverAtMs).toBe(deadline);

      // A deadline read before another write changed it: refused, the record as it was.
      const stale = { ...second, recoverAtMs: deadline - 1 };
      const replace = { replacesRecord: true };
      expect(await jobs.claimRuns([nextMinuteClaim(stale, deadline + 60_000, replace)])).toEqual([
        false,
      ]);
      expect((await jobs.claimedRuns(job.id))?.scheduled).toEqual([first.nextRunMs]);

      // Without a window: the old plan goes too.
      expect(await jobs.claimRuns([nextMinuteClaim(second, deadline + 60_000, replace)])).toEqual([
        true,
      ]);
      const page = await jobs.pendingRuns(job.partition, deadline, deadline + 60_000, 100);
      const pending = page.items.find((r) => r.jobId === job.id)!;
      expect(pending).toMatchObject({
        scheduled: [second.nextRunMs],
        manual: [manualAt],
        recoverAtMs: deadline + 60_000,
      });
      expect(pending.plans ?? []).toEqual([]);

      // With a window: its plan alone.
      const third = (await dueOf(jobs, job))!;
      const thirdPlan = { plannedMs: third.nextRunMs + 9, replacesRecord: true };
      expect(await jobs.claimRuns([nextMinuteClaim(third, deadline + 120_000, thirdPlan)])).toEqual(
        [true],
      );
      const again = await jobs.pendingRuns(job.partition, deadline, deadline + 120_000, 100);
      expect(again.items.find((r) => r.jobId === job.id)).toMatchObject({
        scheduled: [third.nextRunMs],
        plans: [{ scheduledMs: third.nextRunMs, plannedMs: third.nextRunMs + 9 }],
      });
    });
  });
}
