import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { EVERY_MINUTE, makeJob } from "../support/jobs.js";
import type { JobStoreFactory } from "./job-store.contract.js";

const HOUR = 3_600_000;

/**
 * What the HIGH-first claims and the standby rely on from every `JobStore`:
 * the partition's HIGH jobs apart (`dueJobs(…, "HIGH")`), kept in step with
 * priority changes, and which claimed runs are recorded (`recordedClaims`).
 */
export function jobStoreHighContract(adapter: string, factory: JobStoreFactory): void {
  describe(`JobStore contract, HIGH runs: ${adapter}`, () => {
    it("lists a partition's HIGH jobs alone, in time order, and follows priority changes", async () => {
      const { jobs, partitions } = await factory("high-index");
      const now = Date.now();
      const high = makeJob(partitions, { nextRunMs: now + 2000, priority: "HIGH" });
      const p = high.partition;
      const same = (o: Parameters<typeof makeJob>[1]) => {
        for (;;) {
          const job = makeJob(partitions, o);
          if (job.partition === p) return job;
        }
      };
      const earlier = same({ nextRunMs: now + 1000, priority: "HIGH" });
      const medium = same({ nextRunMs: now });
      const low = same({ nextRunMs: now, priority: "LOW" });
      for (const j of [high, earlier, medium, low]) await jobs.createJob(j);
      const ids = async () => (await jobs.dueJobs(p, now + HOUR, 100, "HIGH")).map((d) => d.id);
      expect(await ids()).toEqual([earlier.id, high.id]);
      expect((await jobs.dueJobs(p, now + HOUR, 100, "HIGH"))[0]?.priority).toBe("HIGH");
      expect(await jobs.dueJobs(p, now + 1500, 100, "HIGH")).toHaveLength(1);
      await jobs.updateJob(DEFAULT_TENANT, medium.id, { priority: "HIGH" }, {}, now);
      await jobs.updateJob(DEFAULT_TENANT, earlier.id, { priority: "MEDIUM" }, {}, now);
      expect(await ids()).toEqual([medium.id, high.id]);
      // All of them stay in the due index, whatever their priority.
      const due = (await jobs.dueJobs(p, now + HOUR, 100)).map((d) => d.id);
      expect(due).toEqual(expect.arrayContaining([high.id, earlier.id, medium.id, low.id]));
    });

    it("moves a HIGH job in the HIGH index with its claims, and refuses a HIGH claim made stale by a priority change", async () => {
      const { jobs, partitions } = await factory("high-claim");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE, priority: "HIGH" });
      await jobs.createJob(job);
      const [due] = await jobs.dueJobs(job.partition, Date.now() + HOUR, 100, "HIGH");
      expect(due?.id).toBe(job.id);
      const next = due!.nextRunMs + 60_000;
      expect(await jobs.claimRuns([{ job: due!, nextRunMs: next, recoverAtMs: next }])).toEqual([
        true,
      ]);
      const [moved] = await jobs.dueJobs(job.partition, Date.now() + HOUR, 100, "HIGH");
      expect(moved?.nextRunMs).toBe(next);
      await jobs.updateJob(DEFAULT_TENANT, job.id, { priority: "LOW" }, {}, Date.now());
      const later = next + 60_000;
      expect(await jobs.claimRuns([{ job: moved!, nextRunMs: later, recoverAtMs: later }])).toEqual(
        [false],
      );
      expect(await jobs.dueJobs(job.partition, Date.now() + HOUR, 100, "HIGH")).toEqual([]);
    });

    it("reads a HIGH job's runs left from the HIGH index as from the due index, and its claim spends them", async () => {
      const { jobs, partitions } = await factory("high-remaining");
      const job = makeJob(partitions, {
        schedule: EVERY_MINUTE,
        priority: "HIGH",
        remainingRuns: 2,
        grantedRuns: 2,
      });
      await jobs.createJob(job);
      const [high] = await jobs.dueJobs(job.partition, Date.now() + HOUR, 100, "HIGH");
      const [due] = (await jobs.dueJobs(job.partition, Date.now() + HOUR, 100)).filter(
        (d) => d.id === job.id,
      );
      expect(high).toEqual(due);
      expect(high?.remainingRuns).toBe(2);
      const next = high!.nextRunMs + 60_000;
      const claim = { job: high!, nextRunMs: next, recoverAtMs: next, remainingRuns: 1 };
      expect(await jobs.claimRuns([claim])).toEqual([true]);
      const [after] = await jobs.dueJobs(job.partition, Date.now() + HOUR, 100, "HIGH");
      expect(after?.remainingRuns).toBe(1);
      // A claim on the count read before is refused: a run is counted once.
      const stale = { ...claim, job: { ...after!, remainingRuns: 2 } };
      expect(await jobs.claimRuns([stale])).toEqual([false]);
    });

    it("tells which runs a claim recorded and no settle removed", async () => {
      const { jobs, partitions } = await factory("claimed-runs");
      const job = makeJob(partitions, { schedule: EVERY_MINUTE });
      await jobs.createJob(job);
      const [due] = (await jobs.dueJobs(job.partition, Date.now() + HOUR, 100)).filter(
        (d) => d.id === job.id,
      );
      const t = due!.nextRunMs;
      const asked = [
        { jobId: job.id, scheduledMs: t },
        { jobId: job.id, scheduledMs: t + 60_000 },
        { jobId: "job_unknown", scheduledMs: t },
      ];
      expect(await jobs.recordedClaims(asked)).toEqual(new Set());
      await jobs.claimRuns([{ job: due!, nextRunMs: t + 60_000, recoverAtMs: t + 5000 }]);
      expect(await jobs.recordedClaims(asked)).toEqual(new Set([`${job.id}:${t}`]));
      await jobs.settleRuns({
        jobId: job.id,
        startedScheduled: [t],
        startedManual: [],
        recoverAtMs: t + 10_000,
      });
      expect(await jobs.recordedClaims(asked)).toEqual(new Set());
    });
  });
}
