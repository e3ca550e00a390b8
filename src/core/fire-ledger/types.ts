/**
 * The fire ledger's vocabulary: what became of one nominal fire time of a
 * job. Nothing here is stored: the ledger is derived from the schedule, its
 * calendar, the job's pause history and the executions of the range.
 */

import type { ExecutionStatus, ExecutionWait } from "../execution.js";
import type { PauseRecord } from "../pause.js";
import type { MisfirePolicy } from "../time-policy.js";

export const FIRE_OUTCOMES = [
  "STARTED",
  "HELD",
  "SKIPPED_OVERLAP",
  "SKIPPED_CALENDAR",
  "SKIPPED_PAUSED",
  "MISSED",
  "MERGED",
  "DST_SHIFTED",
  "DST_FOLDED",
  "DST_SKIPPED",
  "PENDING",
  "FINISHED",
] as const;
export type FireOutcome = (typeof FIRE_OUTCOMES)[number];

/** A range covers at most this much time. */
export const LEDGER_RANGE_MAX_MS = 31 * 24 * 3_600_000;
export const LEDGER_PAGE_DEFAULT = 100;
export const LEDGER_PAGE_MAX = 1000;
/**
 * A past time with no execution that was claimed this recently is PENDING
 * (in the queue, or held back by quotas, not yet started) rather than
 * missed: the recovery sweep re-sends a claimed run that did not start.
 */
export const PENDING_GRACE_MS = 15 * 60_000;

/** One nominal time and what became of it. */
export interface LedgerFire {
  nominalMs: number;
  /** The nominal time in the schedule's zone. */
  local: string;
  outcome: FireOutcome;
  /** When its run fires or fired (calendar roll, jitter, DST gap applied); absent when it does not. */
  fireMs?: number;
  /** Attempt 1 of its run; MERGED: the catch-up run's. */
  executionId?: string;
  /** The latest attempt's status. */
  executionStatus?: ExecutionStatus;
  attempts?: number;
  wait?: ExecutionWait;
  pause?: PauseRecord;
  misfire?: MisfirePolicy;
  notes: string[];
}

/** One page of the ledger. */
export interface LedgerPage {
  fires: LedgerFire[];
  /** The next nominal time in the range, absent on the last page. */
  nextFromMs?: number;
  counts: Partial<Record<FireOutcome, number>>;
  timeZone: string;
}
