/**
 * Failure policies of a job, pure: the count of its runs that failed in a
 * row, when that count pauses the job (`pause_after_failures`), and when a
 * success is a recovery. The count lives on the job item; the worker changes
 * it only when it changes (a failure, or the first success after failures),
 * so a job whose runs succeed pays nothing for it. See
 * docs/failure-policies.md.
 */

import { invalidArgument } from "./errors.js";
import type { Job } from "./job.js";
import { PAUSE_NOTE_MAX, systemPauser } from "./pause.js";

/** The highest `pause_after_failures`; 0 turns the policy off. */
export const PAUSE_AFTER_FAILURES_MAX = 1000;
/** Who a pause made by this policy is recorded as (`JobPause.paused_by`). */
export const FAILURE_PAUSER = systemPauser("pause-after-failures");

/** A run's final outcome, as far as the count goes. */
export type FinalOutcome = "succeeded" | "failed" | "dead";

/** What a final outcome does to the job's stored count. */
export type StreakWrite =
  /** Add one (a FAILED or DEAD run). */
  | "count"
  /** End the failing spell, if the job is in one: a success after failures (a recovery). */
  | "clear";

export function validatePauseAfterFailures(value: number, field = "pause_after_failures"): void {
  if (!Number.isInteger(value) || value < 0 || value > PAUSE_AFTER_FAILURES_MAX) {
    throw invalidArgument(field, `must be 0 (off) to ${PAUSE_AFTER_FAILURES_MAX}`);
  }
}

/**
 * The write a run's final outcome needs. `failing` is whether the job was
 * failing (its last counted run failed) as the run's start read it (absent
 * when unknown): a success that saw it not failing writes nothing, which is
 * what keeps a healthy job's runs free of it. A success that saw it failing
 * clears it conditionally (only while still failing), so that of two
 * successes after the same failures one recovers.
 */
export function streakWrite(
  outcome: FinalOutcome,
  failing: boolean | undefined,
): StreakWrite | undefined {
  if (outcome !== "succeeded") return "count";
  return failing === false ? undefined : "clear";
}

/**
 * Whether `failures` in a row pause the job: its policy is on, the count
 * has reached it, and the job is ACTIVE (a PAUSED one already is; a manual
 * run of a FINISHED one has nothing to pause).
 */
export function pausesAt(
  job: Pick<Job, "pauseAfterFailures" | "status">,
  failures: number,
): boolean {
  const limit = job.pauseAfterFailures ?? 0;
  return limit > 0 && failures >= limit && job.status === "ACTIVE";
}

/**
 * The pause note: `3 consecutive failed runs; last: <execution id>: <error>`,
 * on one line and cut to the note's limit (a pause note takes no control
 * characters, an error may hold line breaks).
 */
export function failurePauseNote(failures: number, executionId: string, error: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const oneLine = error.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  const head = `${failures} consecutive failed run${failures === 1 ? "" : "s"}; last: ${executionId}`;
  const note = oneLine === "" ? head : `${head}: ${oneLine}`;
  const points = [...note];
  return points.length <= PAUSE_NOTE_MAX
    ? note
    : `${points.slice(0, PAUSE_NOTE_MAX - 1).join("")}…`;
}
