import { CLAIMABLE_STATUSES, claimsMore, statusAfterClaim } from "../../core/claim-rules.js";
import { StaleOwnerError } from "../../core/errors.js";
import type { Claim, DueJob, Fence, JobStore, PendingRuns } from "../../core/ports/job-store.js";
import { copy, type MemoryDb, pageOf, type StoredJob } from "./memory-db.js";

/**
 * The scheduler's side of the in-memory job store: the due index, fenced
 * claims and the recovery record, with the conditions of the DynamoDB
 * adapter (`dynamodb/claim-writes.ts`): a claim is a compare-and-set on the
 * job's next run, status, recovery deadline and runs left as read, and under a fence
 * only while the job's own fence is not above the claimer's epoch.
 */
export function createMemoryJobClaims(
  db: MemoryDb,
): Pick<
  JobStore,
  | "dueJobs"
  | "claimRuns"
  | "fencePartition"
  | "highestFenceEpoch"
  | "sweptTo"
  | "recordSweptTo"
  | "pendingRuns"
  | "settleRuns"
  | "claimedRuns"
  | "recordedClaims"
> {
  function claimOne(claim: Claim, fence: Fence | undefined): boolean {
    const stored = db.jobs.get(claim.job.id);
    if (!stored) return false;
    const { job } = stored;
    if (!CLAIMABLE_STATUSES.includes(job.status) || job.nextRunMs !== claim.job.nextRunMs) {
      return false;
    }
    if (stored.recoverAtMs !== claim.job.recoverAtMs) return false;
    if (job.remainingRuns !== claim.job.remainingRuns) return false;
    if (fence && stored.fence !== undefined && stored.fence > fence.epoch) return false;
    // A HIGH claim is also conditional on the job still being HIGH (dynamodb/claim-writes.ts).
    if (claim.job.priority === "HIGH" && job.priority !== "HIGH") return false;
    if (fence) stored.fence = fence.epoch;
    const runs = claim.runs ?? [claim.job.nextRunMs];
    // As in DynamoDB (claim-writes.ts): a record whose runs all started is replaced.
    if (claim.replacesRecord && runs.length > 0) {
      stored.claimed.clear();
      stored.plans?.clear();
    }
    if (claim.plannedMs !== undefined) {
      stored.plans ??= new Map();
      stored.plans.set(claim.job.nextRunMs, claim.plannedMs);
    }
    if (runs.length > 0) {
      for (const t of runs) stored.claimed.add(t);
      job.lastRunMs = Math.max(...runs);
      stored.recoverAtMs = claim.recoverAtMs;
    }
    if (claim.missed) job.missedRuns = (job.missedRuns ?? 0) + claim.missed;
    if (job.remainingRuns !== undefined) job.remainingRuns = claim.remainingRuns ?? 0;
    job.status = statusAfterClaim(claim.nextRunMs);
    if (claim.nextRunMs === undefined) delete job.nextRunMs;
    else job.nextRunMs = claim.nextRunMs;
    stored.claimSeq++;
    // As in DynamoDB: the won claim's answer tells the job's failure state.
    claim.found = {
      failing: stored.lastFailure !== undefined,
      pausesAfterFailures: (job.pauseAfterFailures ?? 0) > 0,
    };
    return true;
  }

  function fenceHolds(fence: Fence): boolean {
    const held = db.fences.get(fence.partition);
    return held?.epoch === fence.epoch && held.owner === fence.owner;
  }

  function inPartition(partition: number): StoredJob[] {
    return [...db.jobs.values()].filter((s) => s.job.partition === partition);
  }

  return {
    async dueJobs(partition, untilMs, limit, only) {
      return inPartition(partition)
        .filter((s) => s.job.nextRunMs !== undefined && s.job.nextRunMs <= untilMs)
        .filter((s) => only === undefined || s.job.priority === only)
        .sort((a, b) => a.job.nextRunMs! - b.job.nextRunMs!)
        .slice(0, limit)
        .map(({ job, recoverAtMs }): DueJob => {
          const due: DueJob = {
            id: job.id,
            tenant: job.tenant,
            partition,
            nextRunMs: job.nextRunMs!,
            schedule: copy(job.schedule),
            target: copy(job.target),
            priority: job.priority ?? "MEDIUM",
          };
          if (recoverAtMs !== undefined) due.recoverAtMs = recoverAtMs;
          if (job.limits) due.limits = copy(job.limits);
          if (job.notifications?.length) due.notify = true;
          if (job.remainingRuns !== undefined) due.remainingRuns = job.remainingRuns;
          return due;
        });
    },

    async claimRuns(claims, fence) {
      const won = claims.map((claim) => claimOne(claim, fence));
      // A refused claim is a lost race or a newer owner's fence on the job:
      // the partition's fence tells which.
      if (fence && won.includes(false) && !fenceHolds(fence)) {
        throw new StaleOwnerError(fence.partition, fence.epoch, won);
      }
      return won;
    },

    async fencePartition(fence) {
      const held = db.fences.get(fence.partition);
      if (
        held &&
        (held.epoch > fence.epoch || (held.epoch === fence.epoch && held.owner !== fence.owner))
      ) {
        return false;
      }
      db.fences.set(fence.partition, { epoch: fence.epoch, owner: fence.owner });
      return true;
    },

    async highestFenceEpoch() {
      let highest = 0;
      for (const f of db.fences.values()) highest = Math.max(highest, f.epoch);
      return highest;
    },

    async sweptTo(partition) {
      return db.sweptTo.get(partition);
    },

    async recordSweptTo(partition, ms) {
      db.sweptTo.set(partition, ms);
    },

    async recordedClaims(runs) {
      return new Set(
        runs
          .filter((r) => db.jobs.get(r.jobId)?.claimed.has(r.scheduledMs))
          .map((r) => `${r.jobId}:${r.scheduledMs}`),
      );
    },

    async pendingRuns(partition, fromMs, toMs, limit, pageToken) {
      const due = inPartition(partition)
        .filter(
          (s) => s.recoverAtMs !== undefined && s.recoverAtMs > fromMs && s.recoverAtMs <= toMs,
        )
        .sort((a, b) => a.recoverAtMs! - b.recoverAtMs!)
        .map((s): PendingRuns => {
          const active = claimsMore(s.job.status, s.job.nextRunMs);
          return {
            jobId: s.job.id,
            partition,
            status: s.job.status,
            scheduled: [...s.claimed].sort((a, b) => a - b),
            manual: [...s.claimedManual].sort((a, b) => a - b),
            ...(s.plans?.size && {
              plans: [...s.plans].map(([scheduledMs, plannedMs]) => ({ scheduledMs, plannedMs })),
            }),
            claimSeq: s.claimSeq,
            recoverAtMs: s.recoverAtMs!,
            active,
            ...(active && { nextRunMs: s.job.nextRunMs! }),
          };
        });
      return pageOf(due, limit, pageToken);
    },

    async claimedRuns(jobId) {
      const stored = db.jobs.get(jobId);
      if (!stored) return undefined;
      return {
        status: stored.job.status,
        scheduled: [...stored.claimed].sort((a, b) => a - b),
        manual: [...stored.claimedManual].sort((a, b) => a - b),
      };
    },

    async settleRuns(settlement) {
      const stored = db.jobs.get(settlement.jobId);
      if (!stored) return true;
      if (settlement.recoverAtMs === undefined && stored.claimSeq !== (settlement.claimSeq ?? -1)) {
        return false;
      }
      for (const t of settlement.startedScheduled) stored.claimed.delete(t);
      for (const t of settlement.startedManual) stored.claimedManual.delete(t);
      for (const p of settlement.startedPlans ?? []) stored.plans?.delete(p.scheduledMs);
      if (settlement.recoverAtMs === undefined) delete stored.recoverAtMs;
      else stored.recoverAtMs = settlement.recoverAtMs;
      return true;
    },
  };
}
