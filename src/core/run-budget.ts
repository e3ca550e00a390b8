/**
 * `remaining_runs`, pure: how many more scheduled runs a job fires. The
 * claim of a run spends it in the claim's own conditional write (the
 * compare-and-set that makes a run claimed once), so a run is counted once
 * whatever the failover; the claim that spends the last makes the job
 * FINISHED. TriggerJob runs do not spend it. See docs/failure-policies.md.
 */

import { invalidArgument } from "./errors.js";

export const REMAINING_RUNS_MAX = 1_000_000;

export function validateRemainingRuns(value: number, field = "remaining_runs"): void {
  if (!Number.isInteger(value) || value < 1 || value > REMAINING_RUNS_MAX) {
    throw invalidArgument(field, `must be 1 to ${REMAINING_RUNS_MAX}, or unset for no limit`);
  }
}

/** What a claim of `runs` does to a job with `remaining` runs left (absent: no limit). */
export interface Spent {
  /** The runs fired: the earliest of `runs`, as many as are left. */
  runs: number[];
  /** Runs left after the claim; absent: no limit. */
  left?: number;
  /** The claim spends the last run: the job has no next run and is FINISHED. */
  finishes: boolean;
}

export function spendRuns(runs: readonly number[], remaining: number | undefined): Spent {
  if (remaining === undefined) return { runs: [...runs], finishes: false };
  const fired = runs.slice(0, Math.max(0, remaining));
  const left = Math.max(0, remaining - fired.length);
  return { runs: fired, left, finishes: left === 0 };
}

/**
 * Whether a FINISHED job may fire again after an UpdateJob: only when runs
 * are left to it (a new `remaining_runs`, or none, which is no limit).
 */
export function hasRunsLeft(remaining: number | undefined): boolean {
  return remaining === undefined || remaining > 0;
}
