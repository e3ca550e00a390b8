import type { ExecutionWait, RunRef, StartReads } from "../execution.js";
import type { JobStatus } from "../job.js";
import type { LimitState } from "../limits.js";
import type { StartOutcome } from "./execution-store.js";

/** A job's limit counters as read, with the sequence number that guards writes to them. */
export interface LimitSnapshot {
  status: JobStatus;
  /**
   * Without stale entries (runs that ended, a waiting run that is gone): the
   * next write stores this state, which drops them from the record.
   */
  state: LimitState;
  /** Bumped by every write to the counters; each write is conditional on it. */
  seq: number;
  /** The job's last counted run failed, read with the counters (`failure-policy.ts`). */
  failing?: boolean;
}

/** A write lost to a concurrent one: read again and decide again. */
export type LimitConflict = "conflict";

/**
 * The store side of job limits. The counters live on the job record; every
 * change is conditional on the sequence number read, so two workers that
 * decide at once cannot both take the last slot.
 */
export interface RunLimits {
  /** Reads the counters and drops entries whose runs are no longer RUNNING (or QUEUED, for the waiting one). */
  read(jobId: string): Promise<LimitSnapshot | undefined>;
  /**
   * Starts the run: records it RUNNING (as `startExecution` does) and adds it
   * to the job's running set, with the rate counters, in one transaction.
   * A re-queued attempt's inherited checkpoint, and whether the job is
   * failing as `seen` holds it, are put in `inherited`.
   */
  start(
    run: RunRef,
    workerId: string,
    nowMs: number,
    queuedMs: number | undefined,
    seen: LimitSnapshot,
    rate: { window?: number; count?: number },
    inherited?: StartReads,
    /** The run was held back before: recorded on the RUNNING item, in the same write. */
    wait?: ExecutionWait,
  ): Promise<StartOutcome | LimitConflict>;
  /**
   * Records the run QUEUED with `reason`, to be looked at again by the recovery
   * sweep at `recheckAtMs` if nothing else starts it; with `buffer`, also marks
   * it as the job's one waiting run.
   */
  wait(
    run: RunRef,
    reason: string,
    recheckAtMs: number,
    seen: LimitSnapshot,
    buffer: boolean,
  ): Promise<"waiting" | "duplicate" | LimitConflict>;
  /**
   * Records the run SKIPPED with `reason`; false when it already has a record
   * past QUEUED (a redelivery of a run that started).
   */
  skip(run: RunRef, reason: string, nowMs: number): Promise<boolean>;
  /** Asks RUNNING executions to stop; their workers see it with `cancelRequested`. */
  requestCancel(executionIds: string[], reason: string): Promise<void>;
  /** The reason a stop was asked for this RUNNING execution, if one was. */
  cancelRequested(executionId: string): Promise<string | undefined>;
}
