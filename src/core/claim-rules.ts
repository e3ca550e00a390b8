/**
 * The rules of claims, triggers and starts: which job states allow each, and
 * how long a claimed run may wait before the recovery sweep looks for it.
 * Pure: a store turns them into the conditions of its writes (DynamoDB
 * condition expressions, an in-memory compare), so every store enforces the
 * same rules and none of them decides them.
 */

import { plannedStart, type RunRef } from "./execution.js";
import type { Job, JobStatus } from "./job.js";
import type { ClaimedRuns } from "./ports/job-store.js";

/** A scheduled run is claimed only from an ACTIVE job (paused, cancelled and finished jobs fire nothing). */
export const CLAIMABLE_STATUSES: readonly JobStatus[] = ["ACTIVE"];

/**
 * A scheduled run starts while its job is ACTIVE, or FINISHED (its last run
 * was claimed, which finished the job). A PAUSED job's claimed runs do not
 * start: pausing stops the runs already on their way.
 */
const SCHEDULED_START: readonly JobStatus[] = ["ACTIVE", "FINISHED"];
/** A TriggerJob run starts in any state but CANCELLED: a manual run of a paused job is asked for. */
const MANUAL_START: readonly JobStatus[] = ["ACTIVE", "FINISHED", "PAUSED"];

/** The job states in which a run may start; no run starts once its job is CANCELLED. */
export function startableStatuses(run: { manual: boolean }): readonly JobStatus[] {
  return run.manual ? MANUAL_START : SCHEDULED_START;
}

/** Whether a run of a job in `status` may start (see `startableStatuses`). */
export function canStart(status: JobStatus, run: { manual: boolean }): boolean {
  return startableStatuses(run).includes(status);
}

/** Why a run whose job no longer allows its start (`canStart`) ended CANCELLED. */
export const INACTIVE_JOB_REASON = "the job was paused or cancelled before the run started";

/**
 * The runs of a job's claim record that its status, read with the record,
 * no longer lets start (`canStart`): after a pause its scheduled runs, after
 * a cancel all of them. A stop ends each CANCELLED (`INACTIVE_JOB_REASON`)
 * before it answers, and the start of a run in its job's claim record is a
 * conditional write that no record exist, with no read of the job: so no
 * run starts once the stop has answered. A run whose start came first has a
 * record, and keeps it. A job resumed since (a concurrent ResumeJob) voids
 * nothing: its runs start, as they would have had the resume come first.
 */
export function runsVoidedBy(
  job: Pick<Job, "tenant" | "id" | "partition">,
  claimed: ClaimedRuns,
): RunRef[] {
  const runs = [
    ...claimed.scheduled.map((scheduledMs) => ({ scheduledMs, manual: false })),
    ...claimed.manual.map((scheduledMs) => ({ scheduledMs, manual: true })),
  ];
  return runs
    .filter((run) => !canStart(claimed.status, run))
    .map(({ scheduledMs, manual }) => ({
      tenant: job.tenant,
      jobId: job.id,
      partition: job.partition,
      scheduledMs,
      attempt: 1,
      manual,
    }));
}

/** TriggerJob records a manual run for a job in any state but this one. */
export const UNTRIGGERABLE_STATUS: JobStatus = "CANCELLED";

/** The job's state after a claim: a job with no next run has fired its last and is FINISHED. */
export function statusAfterClaim(nextRunMs: number | undefined): JobStatus {
  return nextRunMs === undefined ? "FINISHED" : "ACTIVE";
}

/**
 * Whether the recovery sweep must keep watching a job once the runs it
 * recorded have started: only while the job can still claim more.
 */
export function claimsMore(status: JobStatus, nextRunMs: number | undefined): boolean {
  return CLAIMABLE_STATUSES.includes(status) && nextRunMs !== undefined;
}

/**
 * The recovery deadline a claim (or a trigger) records: when the sweep
 * checks that the job's recorded runs started.
 *
 * A pending deadline is kept, even one just due: older runs wait on it, and
 * moving it later at every claim would starve the sweep of a job claimed
 * every second. So the record gets the earlier of the pending deadline and
 * this claim's own (`ownMs`: `runDeadline` of its run). Only a
 * pending deadline older than a whole start timeout is taken as stale (left
 * behind by a finished job that was reactivated) and replaced by `ownMs`;
 * replacing never loses a run, since the sweep checks the whole record.
 */
export function recoveryDeadline(args: {
  /** The deadline already recorded on the job, if any. */
  pendingMs: number | undefined;
  /** This claim's own deadline. */
  ownMs: number;
  nowMs: number;
  startTimeoutMs: number;
}): number {
  const { pendingMs, ownMs, nowMs, startTimeoutMs } = args;
  return pendingMs !== undefined && pendingMs > nowMs - startTimeoutMs
    ? Math.min(pendingMs, ownMs)
    : ownMs;
}

/**
 * The recovery deadline TriggerJob records: the pending one while it is
 * still ahead, else the trigger's own. Unlike a claim's, a passed deadline
 * is never kept: the sweep may have checked it already and left the record
 * as it was (`recordMayStay`), and a deadline behind the sweep's cursor is
 * not read again, so the triggered run would never be checked.
 */
export function triggerRecoveryDeadline(args: {
  pendingMs: number | undefined;
  ownMs: number;
  nowMs: number;
}): number {
  const { pendingMs, ownMs, nowMs } = args;
  return pendingMs !== undefined && pendingMs > nowMs ? Math.min(pendingMs, ownMs) : ownMs;
}

/**
 * A change that moves a job's next run (UpdateJob, ResumeJob) sets its
 * recovery deadline this far after the change. Its next claim may then come
 * sooner than `recordMayStay` counted on, and would keep a passed deadline
 * the sweep left behind its cursor; a deadline ahead of every cursor (clocks
 * that differ by less than this) has the sweep check the record again. A
 * check postponed so costs at most this delay, once per change.
 */
export const MOVED_RUN_RECHECK_MS = 10_000;

/**
 * How many runs a job's record may hold before a sweep that finds them all
 * started writes them out: a record left as it is keeps its started runs,
 * and each later check reads them again.
 */
export const RECORD_PRUNE_AT = 4;

/**
 * Whether the recovery sweep may leave a job's record unwritten when every
 * run in it started: no write to take the started runs out and clear the
 * deadline, which for a job firing less often than the start timeout was a
 * fourth write a fire. The old deadline stays behind the sweep's cursor.
 * - A finished job: nothing more is recorded.
 * - An active job whose next claim (no sooner than the look-ahead before
 *   its next run) comes more than a start timeout after now: that claim
 *   finds the deadline older than a start timeout and replaces it with its
 *   own (`recoveryDeadline`), and the sweep checks the whole record then. A
 *   job claimed sooner keeps the passed deadline instead, which would hide
 *   its new run behind the cursor: its record is written as before. (A
 *   change that moves the next run sooner moves the deadline ahead too:
 *   `MOVED_RUN_RECHECK_MS`.)
 * - Not once the record holds `RECORD_PRUNE_AT` runs: that sweep writes
 *   them out.
 */
export function recordMayStay(args: {
  active: boolean;
  nextRunMs: number | undefined;
  recordedRuns: number;
  nowMs: number;
  lookaheadMs: number;
  startTimeoutMs: number;
}): boolean {
  if (!args.active) return true;
  if (args.recordedRuns >= RECORD_PRUNE_AT || args.nextRunMs === undefined) return false;
  return args.nextRunMs - args.lookaheadMs - args.startTimeoutMs > args.nowMs;
}

/**
 * The deadlines a partition's sweeps on this node have checked: those in
 * `(fromMs, toMs]`, from where its first sweep after the gain began to its
 * cursor.
 */
export interface CheckedDeadlines {
  fromMs: number;
  toMs: number;
}

/**
 * Whether a claim may replace the job's record instead of adding its runs
 * to it: the record's deadline lies where this node's sweeps checked it
 * (`checked`), and is still the one recorded (the claim is conditional on
 * it). A sweep that passed a deadline either wrote the record (a run not
 * started is sent again under a later deadline; a record written out has
 * none) or left it because every run in it started (`recordMayStay`). So
 * the runs such a record holds all started: replacing them spares the
 * write that would prune them at `RECORD_PRUNE_AT` and every later check's
 * read of them, and the claim's own deadline is the only one left to check.
 * A deadline older than the first sweep of this node (a gain, a restart)
 * may never have been checked: the runs are added, as before, and the
 * sweep reads them with the new run.
 */
export function recordReplaceable(args: {
  pendingMs: number | undefined;
  checked: CheckedDeadlines | undefined;
}): boolean {
  const { pendingMs, checked } = args;
  return (
    pendingMs !== undefined &&
    checked !== undefined &&
    pendingMs > checked.fromMs &&
    pendingMs <= checked.toMs
  );
}

/**
 * When the recovery sweep takes a recorded run for lost: a start timeout
 * after it was meant to start. For a run with a flexible window that is its
 * planned start, not its nominal time: counted from the nominal time, the
 * sweep would send again, inside its window, a run still waiting for its
 * planned start (and the spread would be lost).
 */
export function runDeadline(
  run: Pick<RunRef, "scheduledMs" | "plannedMs">,
  startTimeoutMs: number,
): number {
  return plannedStart(run) + startTimeoutMs;
}
