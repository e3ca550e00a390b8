import type { Execution, RunRef } from "../execution.js";
import type { Page } from "./job-store.js";

/** Why an attempt failed, as the worker records it. */
export interface Failure {
  error: string;
  endedMs: number;
}

export interface DeadRunQuery {
  jobId?: string;
  pageSize: number;
  pageToken?: string;
}

/**
 * The store side of retries and dead runs. Every write that ends an attempt
 * is conditional on the attempt being RUNNING on this worker (as
 * `ExecutionStore.finishExecution`), so that a worker that lost its run
 * (re-queued after a lost session) records nothing.
 */
export interface RetryStore {
  /**
   * In one transaction: ends the attempt FAILED (with the next attempt's due
   * time) and records attempt n+1 QUEUED with recheck time `recheckAtMs` for
   * the recovery sweep. Undefined when the attempt was no longer held by
   * `workerId` or the next attempt exists already.
   */
  scheduleRetry(
    run: RunRef,
    workerId: string,
    failure: Failure,
    next: { dueMs: number; recheckAtMs: number },
  ): Promise<RunRef | undefined>;
  /** Ends the attempt DEAD and puts it on the dead list; false when no longer held. */
  markDead(run: RunRef, workerId: string, failure: Failure): Promise<boolean>;
  /**
   * The execution if it is on the dead list; throws not_found for an unknown
   * execution (or another tenant's), failed_precondition for one not on the list.
   */
  getDead(tenant: string, id: string): Promise<Execution>;
  /** The tenant's executions on the dead list, by job then scheduled time. */
  listDead(tenant: string, query: DeadRunQuery): Promise<Page<Execution>>;
  /**
   * In one transaction: takes the dead run off the dead list and records
   * attempt n+1 QUEUED (recheck at `recheckAtMs`). Throws not_found for an
   * unknown execution, failed_precondition when it is not on the dead list.
   */
  redrive(tenant: string, id: string, recheckAtMs: number): Promise<RunRef>;
  /** Takes the run off the dead list (the record stays); same errors as redrive. */
  purge(tenant: string, id: string): Promise<void>;
}
