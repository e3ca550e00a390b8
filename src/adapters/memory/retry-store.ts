import { failedPrecondition, notFound } from "../../core/errors.js";
import {
  type Execution,
  executionId,
  parseExecutionId,
  type RunRef,
} from "../../core/execution.js";
import type { RetryStore } from "../../core/ports/retry-store.js";
import { inScope } from "../../core/tenant.js";
import { copy, type MemoryDb, pageOf } from "./memory-db.js";

/** The run after `run`: the same run, one attempt on. */
export function nextAttempt(run: RunRef): RunRef {
  const { tenant, jobId, partition, scheduledMs, attempt, manual, backfillId } = run;
  const next: RunRef = { tenant, jobId, partition, scheduledMs, attempt: attempt + 1, manual };
  if (backfillId) next.backfillId = backfillId;
  return next;
}

/** Records `run` QUEUED for the recovery sweep to check at `recheckAtMs`. */
export function recordQueued(db: MemoryDb, run: RunRef, recheckAtMs: number, from?: Execution) {
  const execution: Execution = { ...copy(run), id: executionId(run), status: "QUEUED" };
  if (from?.checkpoint) execution.checkpoint = copy(from.checkpoint);
  db.executions.set(execution.id, { execution, requeueAtMs: recheckAtMs });
}

/**
 * Retries and the dead list in memory. Ending an attempt is conditional on
 * it being RUNNING on the worker, as in `ExecutionStore.finishExecution`.
 */
export function createMemoryRetryStore(db: MemoryDb): RetryStore {
  function held(run: RunRef, workerId: string): Execution | undefined {
    const found = db.executions.get(executionId(run))?.execution;
    return found?.status === "RUNNING" && found.workerId === workerId ? found : undefined;
  }
  function deadOf(tenant: string, id: string): Execution {
    const parsed = parseExecutionId(id);
    const found = parsed && db.executions.get(executionId(parsed))?.execution;
    if (!found || !inScope(tenant, found.tenant)) throw notFound(`execution ${id}`);
    if (!db.dead.has(found.id)) throw failedPrecondition(`execution ${id} is not on the dead list`);
    return found;
  }
  return {
    async scheduleRetry(run, workerId, failure, next) {
      const current = held(run, workerId);
      const following = nextAttempt(run);
      if (!current || db.executions.has(executionId(following))) return undefined;
      Object.assign(current, {
        status: "FAILED",
        error: failure.error,
        endedMs: failure.endedMs,
        nextAttemptMs: next.dueMs,
      });
      recordQueued(db, following, next.recheckAtMs, current);
      return following;
    },
    async markDead(run, workerId, failure) {
      const current = held(run, workerId);
      if (!current) return false;
      Object.assign(current, { status: "DEAD", error: failure.error, endedMs: failure.endedMs });
      db.dead.add(current.id);
      return true;
    },
    getDead: async (tenant, id) => copy(deadOf(tenant, id)),
    async listDead(tenant, query) {
      const dead = [...db.dead]
        .map((id) => db.executions.get(id)?.execution)
        .filter((e): e is Execution => !!e && inScope(tenant, e.tenant))
        .filter((e) => !query.jobId || e.jobId === query.jobId)
        .sort((a, b) =>
          a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : a.scheduledMs - b.scheduledMs,
        );
      const page = pageOf(dead, query.pageSize, query.pageToken);
      return { ...page, items: page.items.map(copy) };
    },
    async redrive(tenant, id, recheckAtMs) {
      const dead = deadOf(tenant, id);
      const following = nextAttempt(dead);
      db.dead.delete(dead.id);
      recordQueued(db, following, recheckAtMs, dead);
      return following;
    },
    async purge(tenant, id) {
      db.dead.delete(deadOf(tenant, id).id);
    },
  };
}
