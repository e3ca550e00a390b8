/**
 * BackfillJob's input checks: one message per rule, each naming the request
 * field at fault (the API's codec has turned Timestamps and enums into
 * these fields already, naming them the same way).
 */

import { failedPrecondition, invalidArgument } from "../errors.js";
import { validateJobId } from "../validate-job.js";
import {
  BACKFILL_ID_PATTERN,
  BACKFILL_NOMINALS_MAX,
  type BackfillMode,
  type BackfillOrder,
  MAX_CONCURRENT_DEFAULT,
  MAX_CONCURRENT_MAX,
} from "./types.js";

export interface BackfillRequest {
  jobId: string;
  /** Required. */
  fromMs?: number;
  /** Required; at most now. */
  toMs?: number;
  /** Required. */
  mode?: BackfillMode;
  /** 0: MAX_CONCURRENT_DEFAULT. */
  maxConcurrent: number;
  /** Default OLDEST_FIRST. */
  order?: BackfillOrder;
  dryRun: boolean;
}

/** A request that passed `checkRequest`: every field set. */
export interface CheckedRequest {
  jobId: string;
  fromMs: number;
  toMs: number;
  mode: BackfillMode;
  maxConcurrent: number;
  order: BackfillOrder;
  dryRun: boolean;
}

export function checkRequest(req: BackfillRequest, nowMs: number): CheckedRequest {
  validateJobId(req.jobId, "job_id");
  if (req.fromMs === undefined) throw invalidArgument("from", "required");
  if (req.toMs === undefined) throw invalidArgument("to", "required");
  if (req.fromMs >= req.toMs) throw invalidArgument("to", "must be after from");
  if (req.toMs > nowMs) {
    throw invalidArgument("to", "must not be after now: a backfill runs past times");
  }
  if (req.mode === undefined) throw invalidArgument("mode", "required: MISSING, FAILED or ALL");
  const n = req.maxConcurrent;
  if (!Number.isInteger(n) || n < 0 || n > MAX_CONCURRENT_MAX) {
    throw invalidArgument(
      "max_concurrent",
      `must be 1 to ${MAX_CONCURRENT_MAX}, or 0 for ${MAX_CONCURRENT_DEFAULT}`,
    );
  }
  return {
    jobId: req.jobId,
    fromMs: req.fromMs,
    toMs: req.toMs,
    mode: req.mode,
    maxConcurrent: n === 0 ? MAX_CONCURRENT_DEFAULT : n,
    order: req.order ?? "OLDEST_FIRST",
    dryRun: req.dryRun,
  };
}

/**
 * The range's nominal times: at most BACKFILL_NOMINALS_MAX (invalid_argument
 * on `to`), at least one (a range in which the schedule names no time, such
 * as a one-time job's range that misses its time, is failed_precondition:
 * the job is not one this range can backfill).
 */
export function checkNominals(jobId: string, count: number): void {
  if (count > BACKFILL_NOMINALS_MAX) {
    throw invalidArgument(
      "to",
      `the range holds more than ${BACKFILL_NOMINALS_MAX} nominal times; end it sooner`,
    );
  }
  if (count === 0) {
    throw failedPrecondition(`job ${jobId} has no nominal time in [from, to)`);
  }
}

export function checkBackfillId(id: string, field = "id"): void {
  if (id === "") throw invalidArgument(field, "required");
  if (!BACKFILL_ID_PATTERN.test(id)) {
    throw invalidArgument(field, "must be bf_ followed by 26 lowercase letters and digits");
  }
}
