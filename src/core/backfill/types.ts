/**
 * Backfills: a job run once for each selected nominal time of a past range,
 * as an execution of that time (docs/backfill.md). One durable record per
 * backfill holds where its walk of the range stands (a cursor, not one item
 * per time) and the runs it has out; the leader's driver advances it.
 */

import type { ExecutionStatus } from "../execution.js";
import type { FireOutcome } from "../fire-ledger/types.js";
import type { Schedule } from "../job.js";

/** Which nominal times a backfill runs (selection.ts has the rules). */
export const BACKFILL_MODES = ["MISSING", "FAILED", "ALL"] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];

export type BackfillOrder = "OLDEST_FIRST" | "NEWEST_FIRST";

export type BackfillState = "RUNNING" | "DONE" | "CANCELLED" | "FAILED";

/** Nominal times one backfill's range may hold at most. */
export const BACKFILL_NOMINALS_MAX = 10_000;
/** `max_concurrent` bounds; 0 in a request means the default. */
export const MAX_CONCURRENT_MAX = 100;
export const MAX_CONCURRENT_DEFAULT = 10;
/** Runs a dry run lists at most (its count covers them all). */
export const DRY_RUN_LIST_MAX = 1000;

export const BACKFILL_ID_PATTERN = /^bf_[a-z0-9]{26}$/;

/** A run a backfill has sent and not yet seen end. */
export interface InFlightRun {
  nominalMs: number;
  /** The instant it is an execution of (its `scheduledMs`). */
  fireMs: number;
  attempt: number;
  /** When its message was last sent: not started a start timeout after, it is sent again. */
  sentMs: number;
  /** Seen started (counted once in `started`). */
  started?: boolean;
}

export interface BackfillCounts {
  /** Times selected when the backfill was created. */
  selected: number;
  sent: number;
  started: number;
  succeeded: number;
  /** Ended without success: FAILED, DEAD, CANCELLED or SKIPPED. */
  failed: number;
  /** Selected times that had no need of a run by their turn, or that a cancel left unsent. */
  skipped: number;
}

export interface Backfill {
  id: string;
  tenant: string;
  jobId: string;
  mode: BackfillMode;
  order: BackfillOrder;
  /** Nominal times in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  maxConcurrent: number;
  state: BackfillState;
  /**
   * The job's schedule when the backfill was created: its nominal times are
   * the ones walked, whatever UpdateJob does to the job meanwhile.
   */
  schedule: Schedule;
  /** Nominal times the schedule names in the range (dropped ones included). */
  nominalTotal: number;
  /**
   * Where the walk stands. OLDEST_FIRST: the times at or after it are still
   * to look at; NEWEST_FIRST: the times before it. The walk is over once it
   * reaches the range's other end.
   */
  cursorMs: number;
  inFlight: InFlightRun[];
  counts: BackfillCounts;
  createdMs: number;
  updatedMs: number;
  endedMs?: number;
  createdBy: string;
  cancelledBy?: string;
  /** FAILED: why. */
  error?: string;
  /** +1 on every write; each write is conditional on the version it read. */
  version: number;
}

/** One run a backfill sends (or a dry run would). */
export interface SelectedRun {
  nominalMs: number;
  fireMs: number;
  attempt: number;
  /** What the fire ledger says of the time now. */
  outcome: FireOutcome;
  /** The latest attempt's status, when the time has one. */
  lastStatus?: ExecutionStatus;
}

/** The walk is over: every time of the range was looked at. */
export function walkDone(b: Pick<Backfill, "order" | "cursorMs" | "fromMs" | "toMs">): boolean {
  return b.order === "OLDEST_FIRST" ? b.cursorMs >= b.toMs : b.cursorMs <= b.fromMs;
}

/** Selected times not sent yet (never below 0: a time may match that did not at creation). */
export function remainingOf(b: Pick<Backfill, "counts">): number {
  const { selected, sent, skipped } = b.counts;
  return Math.max(0, selected - sent - skipped);
}

/** The driver still has work on it: sending, or runs out whose outcomes it counts. */
export function isActive(b: Pick<Backfill, "state" | "inFlight">): boolean {
  return b.state === "RUNNING" || (b.state === "CANCELLED" && b.inFlight.length > 0);
}
