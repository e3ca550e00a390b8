/**
 * The max_active_schedules quota in core: which job states hold one of the
 * tenant's active-schedule slots, and what each change of state does to it.
 * A job holds a slot while it is ACTIVE (it may fire); a workflow's node jobs
 * never do (they fire only in a workflow run; the workflow's trigger job
 * holds the workflow's slot). PAUSED, FINISHED and CANCELLED jobs hold none.
 *
 * The store changes the slot in the same write as the job (`SlotChange`).
 * A job that finishes by itself (the claim of its last run) keeps its slot
 * until `TenantStore.freeFinished` gives it back, so that no fire writes to
 * the tenant: that runs before a take is refused, and before use is shown.
 */

import type { Clock } from "./clock.js";
import { isChronoringError } from "./errors.js";
import type { Job, JobStatus, Schedule } from "./job.js";
import type { SlotChange } from "./ports/job-store.js";
import type { TenantStore } from "./ports/tenant-store.js";
import { type RetrySchedule, retry } from "./retry.js";
import { activeUntil, type TenantQuotas } from "./tenant-quota.js";

/** What enforcing the quota needs; absent, jobs take no slots (a test of the job API alone). */
export interface SlotDeps {
  tenants: TenantStore;
  defaults: TenantQuotas;
  /**
   * How long before its time a run is claimed (CHRONORING_LOOKAHEAD_MS): a
   * one-time job is FINISHED by the claim of its run, up to this early.
   */
  claimAheadMs: number;
}

/** Until when a job's end may have passed, as far as `freeFinished` should look. */
export function finishedBy(deps: SlotDeps, clock: Clock): number {
  return clock.now() + deps.claimAheadMs;
}

/** The slot a job created in this state takes, if any. */
export function slotOnCreate(
  job: Pick<Job, "status" | "workflowId" | "schedule" | "nextRunMs" | "remainingRuns">,
  deps: SlotDeps | undefined,
): Extract<SlotChange, { kind: "take" }> | undefined {
  if (!deps || job.status !== "ACTIVE" || job.workflowId) return undefined;
  return {
    kind: "take",
    defaultLimit: deps.defaults.maxActiveSchedules,
    untilMs: activeUntil(job.schedule, job.nextRunMs, job.remainingRuns),
  };
}

/** A job's state after a change, as far as its slot goes. */
export interface SlotNext {
  status: JobStatus;
  schedule: Schedule;
  nextRunMs: number | undefined;
  /** Absent: no limit. */
  remainingRuns?: number | undefined;
}

/**
 * The slot change of `current` becoming `next`: a job that becomes ACTIVE
 * takes one, one that leaves ACTIVE gives its back, one that stays ACTIVE
 * with a new end (`endChanged`: a new schedule or a new `remaining_runs`)
 * keeps it with that end. A job already ACTIVE without a slot (created
 * before quotas) is left without one.
 */
export function slotChange(
  current: Job,
  next: SlotNext,
  endChanged: boolean,
  deps: SlotDeps | undefined,
): SlotChange | undefined {
  if (!deps) return undefined;
  const willHold = next.status === "ACTIVE" && !current.workflowId;
  const untilMs = () => activeUntil(next.schedule, next.nextRunMs, next.remainingRuns);
  if (current.holdsSlot) {
    if (!willHold) return { kind: "free" };
    return endChanged ? { kind: "keep", untilMs: untilMs() } : undefined;
  }
  if (willHold && current.status !== "ACTIVE") {
    return { kind: "take", defaultLimit: deps.defaults.maxActiveSchedules, untilMs: untilMs() };
  }
  return undefined;
}

/**
 * Runs a write that may take a slot. Refused for want of one, it gives back
 * the slots of the tenant's jobs that finished by themselves and, if that
 * freed any, tries once more: the count is exact when it matters.
 */
export async function withFreedSlots<T>(
  deps: SlotDeps | undefined,
  clock: Clock,
  tenant: string,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!deps || !isChronoringError(err, "resource_exhausted")) throw err;
    if ((await deps.tenants.freeFinished(tenant, finishedBy(deps, clock))) === 0) throw err;
    return write();
  }
}

/**
 * Tries of a change that loses to a concurrent change of the same job. No
 * delay: the winner has already written, so reading again sees it.
 */
const ABORTED_RETRIES: RetrySchedule = { attempts: 5, baseMs: 0, maxMs: 0 };

/**
 * Runs a change of a job read just before, again (reading it again) while
 * it loses to a concurrent change: aborted from the store.
 */
export function retryAborted<T>(clock: Clock, change: () => Promise<T>): Promise<T> {
  return retry(ABORTED_RETRIES, change, clock, {
    retryable: (err) => isChronoringError(err, "aborted"),
  });
}
