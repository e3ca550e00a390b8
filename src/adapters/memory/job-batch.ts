import type { IdempotencyRecord } from "../../core/idempotency.js";
import type { JobBatchStore, KeyHolder } from "../../core/ports/job-batch-store.js";
import { copy, type MemoryDb } from "./memory-db.js";

const keyOf = (record: IdempotencyRecord) => `${record.tenant}/${record.owner}/${record.key}`;

/**
 * Many jobs at once in memory, as the DynamoDB adapter does it: keys and
 * slots settled first, each on its own condition, then the jobs written
 * without one (`core/job-batch.ts`).
 */
export function createMemoryJobBatch(db: MemoryDb): JobBatchStore {
  return {
    async claimKeys(claims, nowMs) {
      return claims.map(({ record, jobId }): KeyHolder | undefined => {
        const seen = db.idempotency.get(keyOf(record));
        if (seen && seen.record.expiresMs > nowMs) {
          const { requestHash, expiresMs } = seen.record;
          return { jobId: seen.jobId, requestHash, expiresMs };
        }
        db.idempotency.set(keyOf(record), { record: copy(record), jobId });
        return undefined;
      });
    },

    async releaseKeys(claims) {
      for (const { record, jobId } of claims) {
        if (db.idempotency.get(keyOf(record))?.jobId === jobId)
          db.idempotency.delete(keyOf(record));
      }
    },

    async missingJobs(tenant, ids) {
      return new Set(ids.filter((id) => db.jobs.get(id)?.job.tenant !== tenant));
    },

    async takeSlots(tenant, count, defaultLimit) {
      const use = db.activeSlots.get(tenant) ?? 0;
      const limit = db.quotas.get(tenant)?.custom.maxActiveSchedules ?? defaultLimit;
      const granted = limit > 0 ? Math.max(0, Math.min(count, limit - use)) : count;
      db.activeSlots.set(tenant, use + granted);
      return { granted, use, limit };
    },

    async freeSlots(tenant, count) {
      db.activeSlots.set(tenant, Math.max(0, (db.activeSlots.get(tenant) ?? 0) - count));
    },

    async putJobs(jobs) {
      for (const job of jobs) {
        db.jobs.set(job.id, {
          job: copy(job),
          claimed: new Set(),
          claimedManual: new Set(),
          claimSeq: 0,
        });
      }
      return new Set();
    },
  };
}
