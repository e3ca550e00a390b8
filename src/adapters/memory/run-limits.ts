import { executionId } from "../../core/execution.js";
import type { RunLimits } from "../../core/ports/run-limits.js";
import { createMemoryExecutionStore } from "./execution-store.js";
import { copy, type MemoryDb } from "./memory-db.js";
import { recordQueued } from "./retry-store.js";

/**
 * Job limits in memory: the counters per job, every write conditional on
 * the sequence number read (`conflict` otherwise), as in DynamoDB.
 */
export function createMemoryRunLimits(db: MemoryDb): RunLimits {
  const executions = createMemoryExecutionStore(db);
  const status = (id: string) => db.executions.get(id)?.execution.status;
  const countersOf = (jobId: string) => db.limits.get(jobId) ?? { state: { running: [] }, seq: 0 };
  const pastQueued = (id: string) => {
    const st = status(id);
    return st !== undefined && st !== "QUEUED";
  };

  return {
    async read(jobId) {
      const job = db.jobs.get(jobId)?.job;
      if (!job) return undefined;
      const { state, seq } = countersOf(jobId);
      const fresh = {
        ...copy(state),
        running: state.running.filter((id) => status(id) === "RUNNING"),
      };
      if (fresh.buffered !== undefined && status(fresh.buffered) !== "QUEUED")
        delete fresh.buffered;
      const failing = db.jobs.get(jobId)?.lastFailure !== undefined;
      return { status: job.status, state: fresh, seq, failing };
    },

    async start(run, workerId, nowMs, queuedMs, seen, rate, inherited, wait) {
      if (countersOf(run.jobId).seq !== seen.seq) return "conflict";
      const outcome = await executions.startExecution(
        run,
        workerId,
        nowMs,
        queuedMs,
        inherited,
        wait,
      );
      if (outcome !== "started") return outcome;
      const id = executionId(run);
      const state = { ...copy(seen.state), running: [...seen.state.running, id] };
      if (state.buffered === id) delete state.buffered;
      if (rate.window !== undefined) state.rateWindow = rate.window;
      if (rate.count !== undefined) state.rateCount = rate.count;
      db.limits.set(run.jobId, { state, seq: seen.seq + 1 });
      return "started";
    },

    async wait(run, _reason, recheckAtMs, seen, buffer) {
      if (countersOf(run.jobId).seq !== seen.seq) return "conflict";
      const id = executionId(run);
      if (pastQueued(id)) return "duplicate";
      recordQueued(db, run, recheckAtMs);
      const state = copy(seen.state);
      if (buffer) state.buffered = id;
      db.limits.set(run.jobId, { state, seq: seen.seq + 1 });
      return "waiting";
    },

    async skip(run, reason, nowMs) {
      const id = executionId(run);
      if (pastQueued(id)) return false;
      db.executions.set(id, {
        execution: { ...copy(run), id, status: "SKIPPED", endedMs: nowMs, error: reason },
      });
      return true;
    },

    async requestCancel(ids, reason) {
      for (const id of ids) if (status(id) === "RUNNING") db.cancelRequests.set(id, reason);
    },

    async cancelRequested(id) {
      return status(id) === "RUNNING" ? db.cancelRequests.get(id) : undefined;
    },
  };
}
