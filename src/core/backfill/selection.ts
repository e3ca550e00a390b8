/**
 * Which nominal times a backfill runs, and what became of a run it sent.
 * Pure: the fire ledger's classification of a time (`fire-ledger/`) and the
 * attempts stored at its fire instant decide.
 *
 * Execution ids are `<job>:<fire ms>:<attempt>` and a worker starts an
 * attempt at most once (its start is conditional on the id): so a backfill
 * runs a time as the attempt after the last one stored there. A time with
 * no record runs as attempt 1, the id the schedule itself would have used;
 * a time whose run ended runs as attempt n+1, as a redriven dead run does.
 * Whoever else sends that same attempt (a claim, a redrive, another
 * backfill), it starts once.
 */

import type { Execution } from "../execution.js";
import type { LedgerFire } from "../fire-ledger/types.js";
import type { BackfillMode, SelectedRun } from "./types.js";

/** Highest attempt an execution id holds (4 digits). */
const ATTEMPT_MAX = 9999;

/** The attempt has ended and no retry of it is to come. */
export function isFinal(e: Pick<Execution, "status" | "nextAttemptMs">): boolean {
  switch (e.status) {
    case "SUCCEEDED":
    case "DEAD":
    case "CANCELLED":
    case "SKIPPED":
      return true;
    case "FAILED":
      return e.nextAttemptMs === undefined;
    default:
      return false;
  }
}

/**
 * The run a backfill in `mode` sends for `fire`, or undefined when it sends
 * none. `attempts`: the scheduled (not TriggerJob) attempts at the fire
 * instant, lowest first.
 *
 * - No time the schedule's rules drop (calendar, DST), nor one whose run
 *   fires after now.
 * - MISSING: a time with no record at all, except one still PENDING (due or
 *   claimed: the scheduler runs it) → attempt 1.
 * - FAILED: a time whose last attempt ended FAILED or DEAD with no retry
 *   to come → attempt n+1.
 * - ALL: either of those, and a time whose run ended any other way; not a
 *   time whose run is still going (queued, running, a retry to come).
 */
export function selectRun(
  fire: LedgerFire,
  attempts: readonly Execution[] | undefined,
  mode: BackfillMode,
  nowMs: number,
): SelectedRun | undefined {
  if (fire.fireMs === undefined || fire.fireMs > nowMs) return undefined;
  const base = { nominalMs: fire.nominalMs, fireMs: fire.fireMs, outcome: fire.outcome };
  const last = attempts?.at(-1);
  if (last === undefined) {
    if (mode === "FAILED" || fire.outcome === "PENDING") return undefined;
    return { ...base, attempt: 1 };
  }
  if (mode === "MISSING" || !isFinal(last) || last.attempt >= ATTEMPT_MAX) return undefined;
  if (mode === "FAILED" && last.status !== "FAILED" && last.status !== "DEAD") return undefined;
  return { ...base, attempt: last.attempt + 1, lastStatus: last.status };
}

/** What became of a run a backfill sent, from the attempts at its instant. */
export interface RunProgress {
  /** Some attempt from the one sent on is recorded (a start, a hold, an end). */
  recorded: boolean;
  started: boolean;
  /** Set once its latest attempt ended with no retry to come. */
  ended?: "succeeded" | "failed";
}

/**
 * The progress of the run sent as `attempt`: that attempt and the ones that
 * followed it (retries, a re-queue after a lost worker) count; earlier ones
 * are the time's history before the backfill.
 */
export function progressOf(attempts: readonly Execution[], attempt: number): RunProgress {
  const mine = attempts.filter((a) => a.attempt >= attempt);
  const latest = mine.reduce<Execution | undefined>(
    (top, a) => (top === undefined || a.attempt > top.attempt ? a : top),
    undefined,
  );
  const progress: RunProgress = {
    recorded: latest !== undefined,
    started: mine.some((a) => a.startedMs !== undefined),
  };
  if (latest && isFinal(latest)) {
    progress.ended = latest.status === "SUCCEEDED" ? "succeeded" : "failed";
  }
  return progress;
}
