import type { IdempotencyRecord } from "../idempotency.js";
import type { Job } from "../job.js";

/** The live record of an idempotency key: the job it names and the request that first used it. */
export interface KeyHolder {
  jobId: string;
  requestHash: string;
  expiresMs: number;
}

/**
 * What creating many jobs at once needs of the store (BatchCreateJobs,
 * ImportJobs; `core/job-batch.ts`). The jobs themselves are written without
 * conditions, in bulk; what must stay once-only (an idempotency key, a
 * quota slot) is settled first by conditional writes of its own.
 */
export interface JobBatchStore {
  /**
   * Claims each record's key for `jobId` by a conditional write: undefined
   * where the key was free (or its record expired by `nowMs`) and is now
   * this job's, else the live record that holds it. In the order given.
   */
  claimKeys(
    claims: Array<{ record: IdempotencyRecord; jobId: string }>,
    nowMs: number,
  ): Promise<Array<KeyHolder | undefined>>;
  /** Gives back keys claimed for jobs that were then not written (each only if still that job's). */
  releaseKeys(claims: Array<{ record: IdempotencyRecord; jobId: string }>): Promise<void>;
  /** Which of these job ids (of `tenant`) have no job in the store. */
  missingJobs(tenant: string, ids: string[]): Promise<Set<string>>;
  /**
   * Takes up to `count` of the tenant's active-schedule slots at once (its
   * own quota, else `defaultLimit`; 0 is unlimited): how many it got, and
   * the use and limit it saw when that was fewer.
   */
  takeSlots(
    tenant: string,
    count: number,
    defaultLimit: number,
  ): Promise<{ granted: number; use: number; limit: number }>;
  /** Gives back `count` slots taken by `takeSlots` whose jobs were not written. */
  freeSlots(tenant: string, count: number): Promise<void>;
  /**
   * Writes new jobs, unconditionally and in bulk, each holding a slot when
   * `holdsSlot`; the same item layout as a single create. Resolves with the
   * ids of those that could not be written after retries (the store kept
   * refusing them), empty when all were.
   */
  putJobs(jobs: Job[]): Promise<Set<string>>;
}
