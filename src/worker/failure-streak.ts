/**
 * What a run's final outcome does to its job's failure policy
 * (`core/failure-policy.ts`): a FAILED or DEAD run adds one to the job's
 * count of failed runs in a row, and pauses the job when the count reaches
 * its `pause_after_failures`; the first success after failures (also after
 * a ResumeJob, which sets the count to 0) ends the failing spell and tells
 * RECOVERED. A success whose start found the job not failing writes
 * nothing, so a job whose runs succeed pays nothing for this.
 */

import type { Logger } from "pino";
import type { SlotDeps } from "../core/active-slots.js";
import type { Clock } from "../core/clock.js";
import { notFound } from "../core/errors.js";
import type { Execution } from "../core/execution.js";
import {
  FAILURE_PAUSER,
  type FinalOutcome,
  failurePauseNote,
  pausesAt,
  streakWrite,
} from "../core/failure-policy.js";
import type { Job } from "../core/job.js";
import { createJobStates } from "../core/job-states.js";
import type { StateNote } from "../core/pause.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { OutcomeNotifications } from "../notify/outcome.js";
import { withRetries } from "./with-retries.js";

export interface FailureStreakDeps {
  jobs: JobStore;
  clock: Clock;
  /** Pauses as PauseJob does: the pause history and the job's slot in the same write. */
  pause(tenant: string, id: string, who: StateNote): Promise<Job>;
  /** Tells PAUSED and RECOVERED; without it, nobody is told. */
  notifications?: OutcomeNotifications;
}

export interface FailureStreak {
  /**
   * After `execution`'s final outcome (`event`), its start having read
   * whether the job was failing (`failing`; absent: unknown). Never throws: the outcome is
   * recorded already; a count that could not be written is logged.
   */
  afterFinal(
    event: FinalOutcome,
    execution: Execution,
    failing: boolean | undefined,
    logger: Logger,
  ): Promise<void>;
}

export function createFailureStreak(deps: FailureStreakDeps): FailureStreak {
  const { jobs, clock } = deps;

  async function recovered(execution: Execution, logger: Logger): Promise<void> {
    const { tenant, jobId } = execution;
    const before = await withRetries({ logger, clock }, () => jobs.clearFailures(tenant, jobId));
    if (!before) return;
    logger.info({ failures: before.consecutiveFailures }, "job recovered after failed runs");
    void deps.notifications?.afterOutcome("recovered", { job: before }, execution);
  }

  async function failed(execution: Execution, logger: Logger): Promise<void> {
    const { tenant, jobId, id } = execution;
    const job = await withRetries({ logger, clock }, () => jobs.countFailure(tenant, jobId, id));
    const failures = job?.consecutiveFailures ?? 0;
    if (!job || !pausesAt(job, failures)) return;
    const note = failurePauseNote(failures, id, execution.error ?? "");
    const paused = await deps.pause(tenant, jobId, { by: FAILURE_PAUSER, note });
    // Paused meanwhile by someone else, or by another failure's call: its
    // note names another execution, and that call tells of it.
    const last = paused.pauses?.at(-1);
    const ours = last?.by === FAILURE_PAUSER && last.note === note && last.resumedMs === undefined;
    if (paused.status !== "PAUSED" || !ours) return;
    logger.warn({ failures, limit: job.pauseAfterFailures }, "job paused after failed runs");
    // The count that paused it (another run may have failed since).
    const told = { ...paused, consecutiveFailures: failures };
    void deps.notifications?.afterOutcome("paused", { job: told }, execution);
  }

  return {
    async afterFinal(event, execution, failing, logger) {
      const write = streakWrite(event, failing);
      if (write === undefined) return;
      try {
        await (write === "clear" ? recovered(execution, logger) : failed(execution, logger));
      } catch (err) {
        logger.warn({ err }, "could not record the job's failed runs in a row");
      }
    },
  };
}

/** The worker's streak: pauses through the job's state changes (`job-states.ts`), as PauseJob does. */
export function failureStreak(deps: {
  jobs: JobStore;
  clock: Clock;
  slots?: SlotDeps;
  notifications?: OutcomeNotifications;
}): FailureStreak {
  const { jobs, clock } = deps;
  const states = createJobStates({
    jobs,
    clock,
    ...(deps.slots ? { slots: deps.slots } : {}),
    async load(tenant, id) {
      const job = await jobs.getJob(tenant, id);
      if (!job) throw notFound(`job ${id}`);
      return job;
    },
    // A pause schedules nothing.
    scheduled: (job) => job,
  });
  return createFailureStreak({
    jobs,
    clock,
    pause: states.pause,
    ...(deps.notifications ? { notifications: deps.notifications } : {}),
  });
}
