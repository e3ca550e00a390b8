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
