/** Executions: one attempt of one run of a job. */

export type ExecutionStatus =
  | "SCHEDULED"
  | "QUEUED"
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "CANCELLED"
  | "SKIPPED"
  /** Failed for good: the retry policy gave up (see retry-policy.ts). */
  | "DEAD";

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = [
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "SKIPPED",
  "DEAD",
];

/** Why a run waited before it started: its tenant's quotas, or its job's limits. */
export type WaitReason = "TENANT_CONCURRENCY" | "TENANT_RATE" | "JOB_LIMITS";

/**
 * A run held back before its start: the first reason it was held for, since
 * when, and how many times it was sent back to the queue for it (each
 * re-send waits longer). Rides in the run's message; the start records it.
 */
export interface RunWait {
  reason: WaitReason;
  sinceMs: number;
  resends: number;
}

export function isWaitReason(value: unknown): value is WaitReason {
  return value === "TENANT_CONCURRENCY" || value === "TENANT_RATE" || value === "JOB_LIMITS";
}

/** A run handed to the queue: what a worker needs to start it. */
export interface RunRef {
  /** The job's tenant: the execution records are written with it. */
  tenant: string;
  jobId: string;
  partition: number;
  scheduledMs: number;
  attempt: number;
  /** Started by TriggerJob rather than by the schedule. */
  manual: boolean;
  /**
   * A run of a job with a flexible window: when the scheduler planned its
   * start, in `[scheduledMs, scheduledMs + window)`. The run keeps its
   * nominal `scheduledMs` (and so its execution id); lateness counts from
   * here. Absent: the run is meant to start at `scheduledMs`.
   */
  plannedMs?: number;
  /**
   * Sent by this backfill (`backfill/`): recorded on the attempt, and kept
   * out of lateness figures (its time is in the past by design).
   */
  backfillId?: string;
}

/** When a run is meant to start: its planned start in its flexible window, else its time. */
export function plannedStart(run: Pick<RunRef, "scheduledMs" | "plannedMs">): number {
  return run.plannedMs ?? run.scheduledMs;
}

/**
 * How late a run is at `atMs`, from its planned start (the part of a flexible
 * window the scheduler chose to wait is not lateness). Undefined for a
 * backfill's run: it is of a past time by design, and its lateness says
 * nothing of the scheduler. Every lateness figure counts through here.
 */
export function latenessOf(
  run: Pick<RunRef, "scheduledMs" | "plannedMs" | "backfillId">,
  atMs: number,
): number | undefined {
  return run.backfillId ? undefined : atMs - plannedStart(run);
}

export interface Execution extends RunRef {
  id: string;
  status: ExecutionStatus;
  workerId?: string;
  /** When the run was handed to the queue (as the worker received it). */
  queuedMs?: number;
  startedMs?: number;
  endedMs?: number;
  result?: string;
  error?: string;
  /** On a failed attempt that a retry follows: when the next attempt is due. */
  nextAttemptMs?: number;
  /** Last progress saved by this attempt, or inherited from the one it replaced. */
  checkpoint?: Uint8Array;
  /** Set when the run was held back before it started: why, and for how long. */
  wait?: ExecutionWait;
}

/**
 * What a start learns besides its outcome, with the reads it makes anyway
 * (no read of its own): the checkpoint a re-queued attempt inherits, and
 * whether its job is failing (`failure-policy.ts`), which tells the worker
 * whether the run's success needs a write.
 */
export interface StartReads {
  checkpoint?: Uint8Array;
  /** The job's last counted run failed, as the start read it; absent: not read. */
  failing?: boolean;
}

/** Why a run waited before its start, as recorded by the start. */
export interface ExecutionWait {
  reason: WaitReason;
  /** From when it was first held to its start. */
  waitedMs: number;
  /** Times it was sent back to the queue meanwhile (0: it waited in the worker). */
  resends: number;
}

/** The wait to record at a run's start `startedMs`, from the wait its message carried. */
export function waitAtStart(
  wait: RunWait | undefined,
  startedMs: number,
): ExecutionWait | undefined {
  if (!wait) return undefined;
  return {
    reason: wait.reason,
    waitedMs: Math.max(0, startedMs - wait.sinceMs),
    resends: wait.resends,
  };
}

/**
 * A run whose tenant the sender did not know (the recovery sweep's re-send
 * before it reads the job, a message sent before tenancy): whoever needs the
 * tenant reads the job.
 */
export type UntenantedRun = Omit<RunRef, "tenant"> & { tenant?: string };

/** `<job id>:<scheduled ms>:<attempt>`: stable across redeliveries. */
export function executionId(run: Pick<RunRef, "jobId" | "scheduledMs" | "attempt">): string {
  return `${run.jobId}:${run.scheduledMs}:${run.attempt}`;
}

/** Parses an execution id; undefined when it is not one. */
export function parseExecutionId(
  id: string,
): { jobId: string; scheduledMs: number; attempt: number } | undefined {
  const m = /^(job_[a-z0-9]{26}):(\d{1,16}):(\d{1,4})$/.exec(id);
  if (!m) return undefined;
  const scheduledMs = Number(m[2]);
  const attempt = Number(m[3]);
  if (!Number.isSafeInteger(scheduledMs) || attempt < 1) return undefined;
  return { jobId: m[1]!, scheduledMs, attempt };
}
