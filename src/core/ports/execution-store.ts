import type {
  Execution,
  ExecutionStatus,
  ExecutionWait,
  RunRef,
  StartReads,
} from "../execution.js";
import type { TenantScope } from "../tenant.js";
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

/**
 * A start whose record was written (RUNNING, this worker's) but whose job
 * could not be read to check it may start, and whose record could not be
 * taken back either (the store went away between the two). The record stays
 * this worker's: a redelivery elsewhere sees a duplicate, so the worker that
 * wrote it must settle it — check the job once the store answers, then run
 * it or end it CANCELLED — or, if that worker dies first, the lost-worker
 * check re-queues it.
 */
export class StartInDoubt extends Error {
  constructor(override readonly cause: unknown) {
    super(`start written, its job unreadable and the write not taken back: ${String(cause)}`);
    this.name = "StartInDoubt";
  }
}

export interface Outcome {
  /** CANCELLED: a newer run of the job stopped it (overlap CANCEL_PREVIOUS). */
  status: "SUCCEEDED" | "FAILED" | "CANCELLED";
  result?: string;
  error?: string;
  endedMs: number;
}

/** A re-queued attempt whose start the recovery sweep must check. */
export interface QueuedAttempt {
  run: RunRef;
  /** When to send it again if still not started. */
  requeueAtMs: number;
}

/** What a start records and knows beside the run (`ExecutionStore.startExecution`). */
export interface StartOptions {
  /** When the run was sent, recorded as its `queued` time. */
  queuedMs?: number;
  /**
   * Filled with the checkpoint a re-queued attempt inherits and, when the
   * start reads the job, whether the job is failing (no extra read).
   */
  inherited?: StartReads;
  /** The run was held back before (quotas): recorded on the RUNNING item, in the same write. */
  wait?: ExecutionWait;
  /**
   * The run is in its job's claim record (`OutgoingRun.claimed`): a stop of
   * the job ends it CANCELLED there before the stop answers, so the
   * conditional write alone decides the start and the job is not read.
   * A start that replaces a QUEUED record reads the job all the same.
   */
  claimed?: boolean;
}

/** Durable executions: one record per attempt, keyed by its execution id. */
export interface ExecutionStore {
  init(): Promise<void>;
  /**
   * Records the attempt as RUNNING by `workerId`, only if no record of it
   * exists past QUEUED ("duplicate" otherwise), and only while its job may
   * still run (not cancelled; not paused, unless manual): otherwise the
   * attempt is recorded CANCELLED (`INACTIVE_JOB_REASON`) and the answer is
   * "job_inactive", so a later delivery of it is a duplicate. A run in its
   * job's claim record (`options.claimed`) is not checked against the job:
   * a stop wrote its CANCELLED record, which refuses the start ("duplicate").
   */
  startExecution(
    run: RunRef,
    workerId: string,
    nowMs: number,
    options?: StartOptions,
  ): Promise<StartOutcome>;
  /** Records the outcome of a run this worker started; `false` if it no longer holds it. */
  finishExecution(id: string, workerId: string, outcome: Outcome): Promise<boolean>;
  /**
   * Saves progress on a RUNNING attempt held by `workerId` (a re-queued
   * attempt inherits it); `false` when this worker no longer holds it.
   */
  saveCheckpoint(id: string, workerId: string, data: Uint8Array): Promise<boolean>;
  /** Records a run that will not start because its job was paused or cancelled. */
  cancelExecution(run: RunRef, reason: string, nowMs: number): Promise<void>;
  /** Undefined when unknown or not in `scope`. */
  getExecution(scope: TenantScope, id: string): Promise<Execution | undefined>;
  /** Executions in `scope` only (ALL_TENANTS: the leader's failover of a lost worker). */
  listExecutions(scope: TenantScope, query: ExecutionQuery): Promise<Page<Execution>>;
  /**
   * The attempts of one job's runs scheduled in [fromMs, toMs], in `scope`
   * only, by scheduled time then attempt, at most `limit` (the fire
   * ledger's read: one range on the table's key).
   */
  executionsBetween(
    scope: TenantScope,
    jobId: string,
    fromMs: number,
    toMs: number,
    limit: number,
  ): Promise<Execution[]>;
  /**
   * Which of these runs have a first-attempt record, as `<job id>:<scheduled ms>` keys.
   * `consistent: false` may miss a record written in about the last second
   * (DynamoDB's eventually consistent read, at half the cost); it never
   * reports a run started that was not.
   */
  startedRuns(
    runs: Array<{ jobId: string; scheduledMs: number }>,
    options?: { consistent?: boolean },
  ): Promise<Set<string>>;
  /**
   * Ends a RUNNING attempt of a lost worker as FAILED and records the next
   * attempt as QUEUED (carrying the last checkpoint), in one transaction.
   * Undefined when the attempt was no longer RUNNING on that worker.
   */
  requeue(
    execution: Execution,
    reason: string,
    nowMs: number,
    recheckAtMs: number,
  ): Promise<RunRef | undefined>;
  /** QUEUED re-queued attempts of a partition whose recheck time is in `(fromMs, toMs]`. */
  queuedAttempts(
    partition: number,
    fromMs: number,
    toMs: number,
    limit: number,
    pageToken?: string,
  ): Promise<Page<QueuedAttempt>>;
  /** Moves a still-QUEUED attempt's recheck time; false once it started. */
  deferQueued(run: RunRef, recheckAtMs: number): Promise<boolean>;
}
