import type { Execution, ExecutionStatus, RunRef } from "../execution.js";
import type { Page } from "./job-store.js";

export interface ExecutionQuery {
  jobId?: string;
  workerId?: string;
  status?: ExecutionStatus;
  pageSize: number;
  pageToken?: string;
}

/** Why a worker did not start a run. */
export type StartOutcome = "started" | "duplicate" | "job_inactive";

export interface Outcome {
  status: "SUCCEEDED" | "FAILED";
  result?: string;
  error?: string;
  endedMs: number;
}

/** Durable executions: one record per attempt, keyed by its execution id. */
export interface ExecutionStore {
  init(): Promise<void>;
  /**
   * Records the attempt as RUNNING by `workerId`, only if no record of it
   * exists and its job may still run (not cancelled; not paused, unless manual).
   */
  startExecution(
    run: RunRef,
    workerId: string,
    nowMs: number,
    queuedMs?: number,
  ): Promise<StartOutcome>;
  /** Records the outcome of a run this worker started; `false` if it no longer holds it. */
  finishExecution(id: string, workerId: string, outcome: Outcome): Promise<boolean>;
  /** Records a run that will not start because its job was paused or cancelled. */
  cancelExecution(run: RunRef, reason: string, nowMs: number): Promise<void>;
  getExecution(id: string): Promise<Execution | undefined>;
  listExecutions(query: ExecutionQuery): Promise<Page<Execution>>;
  /** Which of these runs (by scheduled time) of one job have a first-attempt record. */
  startedRuns(jobId: string, scheduledMs: number[]): Promise<Set<number>>;
}
