import { canStart, INACTIVE_JOB_REASON } from "../../core/claim-rules.js";
import {
  type Execution,
  executionId,
  parseExecutionId,
  type RunRef,
} from "../../core/execution.js";
import type { ExecutionStore, QueuedAttempt } from "../../core/ports/execution-store.js";
import { inScope } from "../../core/tenant.js";
import { copy, type MemoryDb, pageOf } from "./memory-db.js";
import { nextAttempt, recordQueued } from "./retry-store.js";

/**
 * Executions in memory, one record per attempt keyed by its execution id,
 * with the DynamoDB adapter's conditions: a start writes only when no
 * record past QUEUED exists and the job may still run, so a redelivered run
 * starts once; finish and checkpoint apply only while the worker holds it.
 */
export function createMemoryExecutionStore(db: MemoryDb): ExecutionStore {
  const recordOf = (run: Pick<RunRef, "jobId" | "scheduledMs" | "attempt">) =>
    db.executions.get(executionId(run));

  /** RUNNING on `workerId`: the only state a worker's later writes apply to. */
  function held(id: string, workerId: string): Execution | undefined {
    const parsed = parseExecutionId(id);
    const found = parsed && recordOf(parsed)?.execution;
    return found?.status === "RUNNING" && found.workerId === workerId ? found : undefined;
  }

  function base(run: RunRef, status: Execution["status"]): Execution {
    return { ...copy(run), id: executionId(run), status };
  }

  return {
    async init() {},

    async startExecution(run, workerId, nowMs, queuedMs, inherited, wait) {
      const existing = recordOf(run);
      if (existing && existing.execution.status !== "QUEUED") return "duplicate";
      const checkpoint = run.attempt > 1 ? existing?.execution.checkpoint : undefined;
      if (inherited && checkpoint) inherited.checkpoint = copy(checkpoint);
      const job = db.jobs.get(run.jobId)?.job;
      if (!job || !canStart(job.status, run)) {
        // Ended as the DynamoDB adapter ends it: the refused attempt is recorded.
        const ended = { ...base(run, "CANCELLED"), workerId, startedMs: nowMs, endedMs: nowMs };
        db.executions.set(ended.id, { execution: { ...ended, error: INACTIVE_JOB_REASON } });
        return "job_inactive";
      }
      if (inherited) inherited.failing = db.jobs.get(run.jobId)?.lastFailure !== undefined;
      const execution: Execution = {
        ...base(run, "RUNNING"),
        workerId,
        startedMs: nowMs,
        ...(queuedMs ? { queuedMs } : {}),
        ...(checkpoint ? { checkpoint: copy(checkpoint) } : {}),
        ...(wait ? { wait: copy(wait) } : {}),
      };
      db.executions.set(execution.id, { execution });
      return "started";
    },

    async finishExecution(id, workerId, outcome) {
      const execution = held(id, workerId);
      if (!execution) return false;
      execution.status = outcome.status;
      execution.endedMs = outcome.endedMs;
      if (outcome.result !== undefined) execution.result = outcome.result;
      if (outcome.error !== undefined) execution.error = outcome.error;
      return true;
    },

    async saveCheckpoint(id, workerId, data) {
      const execution = held(id, workerId);
      if (!execution) return false;
      execution.checkpoint = copy(data);
      return true;
    },

    async cancelExecution(run, reason, nowMs) {
      const existing = recordOf(run);
      if (existing && existing.execution.status !== "QUEUED") return;
      const execution = { ...base(run, "CANCELLED"), endedMs: nowMs, error: reason };
      db.executions.set(execution.id, { execution });
    },

    async getExecution(scope, id) {
      const parsed = parseExecutionId(id);
      const found = parsed && recordOf(parsed)?.execution;
      return found && inScope(scope, found.tenant) ? copy(found) : undefined;
    },

    async listExecutions(scope, query) {
      // Newest first, as the DynamoDB adapter reads its key in reverse.
      const all = [...db.executions.values()]
        .map((s) => s.execution)
        .filter(
          (e) =>
            inScope(scope, e.tenant) &&
            (query.jobId ? e.jobId === query.jobId : e.workerId === (query.workerId ?? "")) &&
            (!query.status || e.status === query.status),
        )
        .sort((a, b) => b.scheduledMs - a.scheduledMs || b.attempt - a.attempt);
      const page = pageOf(all, query.pageSize, query.pageToken);
      return { ...page, items: page.items.map(copy) };
    },

    async executionsBetween(scope, jobId, fromMs, toMs, limit) {
      return [...db.executions.values()]
        .map((s) => s.execution)
        .filter(
          (e) =>
            e.jobId === jobId &&
            inScope(scope, e.tenant) &&
            e.scheduledMs >= fromMs &&
            e.scheduledMs <= toMs,
        )
        .sort((a, b) => a.scheduledMs - b.scheduledMs || a.attempt - b.attempt)
        .slice(0, limit)
        .map(copy);
    },

    async startedRuns(runs) {
      const started = new Set<string>();
      for (const r of runs) {
        if (recordOf({ ...r, attempt: 1 })) started.add(`${r.jobId}:${r.scheduledMs}`);
      }
      return started;
    },

    async requeue(execution, reason, nowMs, recheckAtMs) {
      const current = held(execution.id, execution.workerId ?? "");
      const next = nextAttempt(execution);
      if (!current || recordOf(next)) return undefined;
      current.status = "FAILED";
      current.endedMs = nowMs;
      current.error = reason;
      recordQueued(db, next, recheckAtMs, current);
      return next;
    },

    async queuedAttempts(partition, fromMs, toMs, limit, pageToken) {
      const due = [...db.executions.values()]
        .filter(
          (s) =>
            s.execution.partition === partition &&
            s.execution.status === "QUEUED" &&
            s.requeueAtMs !== undefined &&
            s.requeueAtMs > fromMs &&
            s.requeueAtMs <= toMs,
        )
        .sort((a, b) => a.requeueAtMs! - b.requeueAtMs!)
        .map(
          (s): QueuedAttempt => ({
            run: {
              tenant: s.execution.tenant,
              jobId: s.execution.jobId,
              partition: s.execution.partition,
              scheduledMs: s.execution.scheduledMs,
              attempt: s.execution.attempt,
              manual: s.execution.manual,
            },
            requeueAtMs: s.requeueAtMs!,
          }),
        );
      return pageOf(due, limit, pageToken);
    },

    async deferQueued(run, recheckAtMs) {
      const stored = recordOf(run);
      if (stored?.execution.status !== "QUEUED") return false;
      stored.requeueAtMs = recheckAtMs;
      return true;
    },
  };
}
