/**
 * The contract between the worker loop and a job-type handler. Kept apart from
 * `registry.ts` (which re-exports it) so that handlers can depend on it while
 * the registry depends on the handlers, without an import cycle.
 */
import type { Logger } from "pino";
import type { JobTarget } from "../../core/job.js";

/** What a handler knows about the run it executes. */
export interface RunContext {
  /** Stable id `<job id>:<scheduled ms>:<attempt>`; handlers pass it on (http: header `Chronoring-Execution-Id`; script: env CHRONORING_EXECUTION_ID). */
  executionId: string;
  jobId: string;
  scheduledMs: number;
  attempt: number;
  /** Aborted when the worker shuts down hard or the run must stop. */
  signal: AbortSignal;
  logger: Logger;
  /** The checkpoint this attempt inherited from the attempt it replaced, if any. */
  lastCheckpoint?: Uint8Array;
  /**
   * Saves progress on this attempt's record, so that a re-queued attempt
   * (this worker lost) starts from it. Rejects when the data is too large or
   * this worker no longer holds the run. Absent outside a worker (unit tests).
   */
  checkpoint?: (data: Uint8Array | string) => Promise<void>;
}

export interface HandlerResult {
  ok: boolean;
  /** Short human summary recorded as result (ok) or error (!ok), ≤ 4 KiB. */
  summary: string;
  /**
   * On failure: whether a later attempt may succeed (timeouts, connection
   * errors, HTTP 5xx/408/425/429, a non-zero exit). A retry policy
   * ON_FAILURE retries only these; absent counts as permanent.
   */
  retryable?: boolean;
}

/**
 * Runs one job type. A job's failure, timeouts and aborts included, resolves
 * `{ ok: false }`; a handler throws only for programming errors.
 */
export interface JobHandler<T extends JobTarget = JobTarget> {
  readonly type: T["type"];
  run(target: T, ctx: RunContext): Promise<HandlerResult>;
}
