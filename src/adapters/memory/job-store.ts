import {
  MOVED_RUN_RECHECK_MS,
  triggerRecoveryDeadline,
  UNTRIGGERABLE_STATUS,
} from "../../core/claim-rules.js";
import {
  aborted,
  alreadyExists,
  ChronoringError,
  failedPrecondition,
  notFound,
} from "../../core/errors.js";
import { externalKeyTaken } from "../../core/external-key.js";
import type { Job } from "../../core/job.js";
import type { JobChange, JobStore, SlotChange } from "../../core/ports/job-store.js";
import { inScope } from "../../core/tenant.js";
import { activeSchedulesExhausted } from "../../core/tenant-quota.js";
import { createMemoryApplyStore, scoped } from "./apply-store.js";
import { createMemoryJobBatch } from "./job-batch.js";
import { createMemoryJobClaims } from "./job-claims.js";
import { copy, type MemoryDb, pageOf, type StoredJob } from "./memory-db.js";

type Take = Extract<SlotChange, { kind: "take" }>;

/**
 * Jobs in memory, with the DynamoDB adapter's conditions: a create fails on
 * a taken id, an update is conditional on tenant, version, status and slot,
 * and a slot is taken only while the tenant has one free. Not durable: for
 * tests and `--store memory` (README).
 */
export function createMemoryJobStore(db: MemoryDb): JobStore {
  const claims = createMemoryJobClaims(db);

  /** Refuses a take when the tenant has no slot free (0 is unlimited). */
  function takeSlot(tenant: string, slot: Take): void {
    const use = db.activeSlots.get(tenant) ?? 0;
    const limit = db.quotas.get(tenant)?.custom.maxActiveSchedules ?? slot.defaultLimit;
    if (limit > 0 && use >= limit) throw activeSchedulesExhausted(tenant, use, limit);
    db.activeSlots.set(tenant, use + 1);
  }

  function freeSlot(tenant: string): void {
    db.activeSlots.set(tenant, Math.max(0, (db.activeSlots.get(tenant) ?? 0) - 1));
  }

  function insert(job: Job, slot: Take | undefined): void {
    if (db.jobs.has(job.id)) throw alreadyExists(`job ${job.id}`);
    const key = job.externalKey === undefined ? undefined : scoped(job.tenant, job.externalKey);
    const holder = key === undefined ? undefined : db.externalKeys.get(key);
    if (holder !== undefined) throw externalKeyTaken(job.externalKey!, holder);
    if (slot) takeSlot(job.tenant, slot);
    if (key !== undefined) db.externalKeys.set(key, job.id);
    const stored: StoredJob = {
      job: { ...copy(job), ...(slot ? { holdsSlot: true } : {}) },
      claimed: new Set(),
      claimedManual: new Set(),
      claimSeq: 0,
    };
    if (!slot) delete stored.job.holdsSlot;
    if (slot) stored.slotUntilMs = slot.untilMs;
    db.jobs.set(job.id, stored);
  }

  function visible(id: string, tenant: string): StoredJob {
    const stored = db.jobs.get(id);
    if (!stored || !inScope(tenant, stored.job.tenant)) throw notFound(`job ${id}`);
    return stored;
  }

  function apply(job: Job, change: JobChange): void {
    const fields = ["name", "schedule", "target", "tags", "owner", "status"] as const;
    for (const f of fields)
      if (change[f] !== undefined) Object.assign(job, { [f]: copy(change[f]) });
    if (change.nextRunMs === null) delete job.nextRunMs;
    else if (change.nextRunMs !== undefined) job.nextRunMs = change.nextRunMs;
    if (change.limits === null) delete job.limits;
    else if (change.limits !== undefined) job.limits = copy(change.limits);
    if (change.retryPolicy === null) delete job.retryPolicy;
    else if (change.retryPolicy !== undefined) job.retryPolicy = copy(change.retryPolicy);
    if (change.priority === "MEDIUM") delete job.priority;
    else if (change.priority !== undefined) job.priority = change.priority;
    if (change.notifications?.length) job.notifications = copy(change.notifications);
    else if (change.notifications !== undefined) delete job.notifications;
    if (change.pauses !== undefined) job.pauses = copy(change.pauses);
    if (change.pauseAfterFailures === 0) delete job.pauseAfterFailures;
    else if (change.pauseAfterFailures !== undefined) {
      job.pauseAfterFailures = change.pauseAfterFailures;
    }
    if (change.remainingRuns === null) {
      delete job.remainingRuns;
      delete job.grantedRuns;
    } else if (change.remainingRuns !== undefined) {
      job.remainingRuns = change.remainingRuns;
      job.grantedRuns = change.remainingRuns;
    }
    if (change.clearFailures) delete job.consecutiveFailures;
    if (change.releaseKey !== undefined) {
      const key = scoped(job.tenant, change.releaseKey);
      if (db.externalKeys.get(key) === job.id) db.externalKeys.delete(key);
    }
  }

  return {
    ...createMemoryJobBatch(db),
    ...createMemoryApplyStore(db),
    async init() {},

    async createJob(job, slot) {
      insert(job, slot);
    },

    async createJobOnce(job, record, slot) {
      const key = `${record.tenant}/${record.owner}/${record.key}`;
      const seen = db.idempotency.get(key);
      if (seen && seen.record.expiresMs > job.createdMs) {
        if (seen.record.requestHash !== record.requestHash) {
          throw new ChronoringError(
            "already_exists",
            `idempotency_key: "${record.key}" was used with a different request (until ${new Date(
              seen.record.expiresMs,
            ).toISOString()})`,
            { field: "idempotency_key" },
          );
        }
        const created = db.jobs.get(seen.jobId);
        if (created) return copy(created.job);
      }
      insert(job, slot);
      db.idempotency.set(key, { record: copy(record), jobId: job.id });
      return copy(db.jobs.get(job.id)!.job);
    },

    async getJob(scope, id) {
      const stored = db.jobs.get(id);
      return stored && inScope(scope, stored.job.tenant) ? copy(stored.job) : undefined;
    },

    async listJobs(tenant, query) {
      const jobs = [...db.jobs.values()]
        .map((s) => s.job)
        .filter(
          (job) =>
            inScope(tenant, job.tenant) &&
            (!query.status || job.status === query.status) &&
            (!query.tag || job.tags.includes(query.tag)) &&
            (!query.owner || job.owner === query.owner) &&
            (!query.nameContains || job.name.includes(query.nameContains)) &&
            (!query.neverRun || job.lastRunMs === undefined) &&
            (query.externalKey === undefined || job.externalKey === query.externalKey) &&
            (query.applyNamespace === undefined || job.applyNamespace === query.applyNamespace),
        )
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const page = pageOf(jobs, query.pageSize, query.pageToken);
      return { ...page, items: page.items.map(copy) };
    },

    async updateJob(tenant, id, change, expect, nowMs) {
      const stored = visible(id, tenant);
      const { job } = stored;
      if (expect.version !== undefined && job.version !== expect.version) {
        throw aborted(`job ${id} is at version ${job.version}, not ${expect.version}`);
      }
      if (expect.statusIn?.length && !expect.statusIn.includes(job.status)) {
        throw failedPrecondition(`job ${id} is ${job.status}`);
      }
      const slot = change.slot;
      if (slot && (slot.kind === "take") === Boolean(job.holdsSlot)) {
        throw aborted(`job ${id} changed while it was updated`);
      }
      if (slot?.kind === "take") takeSlot(tenant, slot);
      if (slot?.kind === "free") freeSlot(tenant);
      apply(job, change);
      if (typeof change.nextRunMs === "number") {
        stored.recoverAtMs = nowMs + MOVED_RUN_RECHECK_MS;
      }
      if (slot?.kind === "free") {
        delete job.holdsSlot;
        delete stored.slotUntilMs;
      } else if (slot) {
        job.holdsSlot = true;
        stored.slotUntilMs = slot.untilMs;
      }
      job.version++;
      job.updatedMs = nowMs;
      return copy(job);
    },

    async recordManualRun(tenant, id, scheduledMs, recoverAtMs) {
      const stored = visible(id, tenant);
      if (stored.job.status === UNTRIGGERABLE_STATUS) {
        throw failedPrecondition(`job ${id} is ${UNTRIGGERABLE_STATUS}`);
      }
      stored.recoverAtMs = triggerRecoveryDeadline({
        pendingMs: stored.recoverAtMs,
        ownMs: recoverAtMs,
        nowMs: scheduledMs,
      });
      stored.claimedManual.add(scheduledMs);
      stored.claimSeq++;
      return copy(stored.job);
    },

    async countFailure(tenant, id, executionId) {
      const stored = db.jobs.get(id);
      if (!stored || !inScope(tenant, stored.job.tenant) || stored.job.status === "CANCELLED") {
        return undefined;
      }
      if (stored.lastFailure !== executionId) {
        stored.job.consecutiveFailures = (stored.job.consecutiveFailures ?? 0) + 1;
        stored.lastFailure = executionId;
      }
      return copy(stored.job);
    },

    async clearFailures(tenant, id) {
      const stored = db.jobs.get(id);
      if (!stored || !inScope(tenant, stored.job.tenant) || stored.job.status === "CANCELLED") {
        return undefined;
      }
      if (stored.lastFailure === undefined) return undefined;
      const before = copy(stored.job);
      delete stored.job.consecutiveFailures;
      delete stored.lastFailure;
      return before;
    },

    ...claims,
  };
}
