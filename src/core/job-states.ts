/**
 * DeleteJob, PauseJob and ResumeJob: the changes of a job's status alone,
 * each with what it does to the job's active-schedule slot (`active-slots.ts`).
 */

import { retryAborted, type SlotDeps, slotChange, withFreedSlots } from "./active-slots.js";
import type { Clock } from "./clock.js";
import { failedPrecondition } from "./errors.js";
import { loadFireContext } from "./fire-context.js";
import type { Job } from "./job.js";
import { type StateNote, withPause, withResume } from "./pause.js";
import type { CalendarStore } from "./ports/calendar-store.js";
import type { JobStore } from "./ports/job-store.js";
import { firstFire } from "./schedule/index.js";

export interface JobStates {
  /** Cancels: no run starts after it returns. */
  cancel(tenant: string, id: string): Promise<Job>;
  /** Cancels `current` only if it is still at its version (aborted otherwise): an apply's delete. */
  cancelAt(current: Job): Promise<Job>;
  /** Records who paused it and why in the job's pause history, in the same write. */
  pause(tenant: string, id: string, who: StateNote): Promise<Job>;
  resume(tenant: string, id: string, who: StateNote): Promise<Job>;
}

export function createJobStates(deps: {
  jobs: JobStore;
  clock: Clock;
  calendars?: CalendarStore;
  slots?: SlotDeps;
  /** Reads the tenant's job, not_found otherwise. */
  load(tenant: string, id: string): Promise<Job>;
  /** Tells the local scheduler of a job's next run. */
  scheduled(job: Job): Job;
}): JobStates {
  const { jobs, clock, slots, load } = deps;

  /** Takes an ACTIVE (or, for a cancel, any) job out of firing, giving back its slot. */
  async function stop(
    current: Job,
    status: "CANCELLED" | "PAUSED",
    statusIn: Job["status"][],
    /** `who`: a pause's author and note, kept in the pause history. */
    opts: { version?: number; who?: StateNote } = {},
  ): Promise<Job> {
    const { who } = opts;
    const next = { status, schedule: current.schedule, nextRunMs: undefined };
    const slot = slotChange(current, next, false, slots);
    const now = clock.now();
    // A cancelled job gives its external key back, so that a new job may take it.
    const release = status === "CANCELLED" && current.externalKey !== undefined;
    // The pause history is rewritten whole: only over the version it was read at.
    const version = opts.version ?? (who ? current.version : undefined);
    return jobs.updateJob(
      current.tenant,
      current.id,
      {
        status,
        nextRunMs: null,
        ...(slot ? { slot } : {}),
        ...(release ? { releaseKey: current.externalKey } : {}),
        ...(who ? { pauses: withPause(current.pauses, now, who) } : {}),
      },
      { statusIn, ...(version === undefined ? {} : { version }) },
      now,
    );
  }

  return {
    cancel: (tenant, id) =>
      retryAborted(clock, async () => {
        const current = await load(tenant, id);
        if (current.status === "CANCELLED") return current;
        return stop(current, "CANCELLED", ["ACTIVE", "PAUSED", "FINISHED"]);
      }),

    cancelAt: (current) =>
      stop(current, "CANCELLED", ["ACTIVE", "PAUSED", "FINISHED"], { version: current.version }),

    pause: (tenant, id, who) =>
      retryAborted(clock, async () => {
        const current = await load(tenant, id);
        if (current.status === "PAUSED") return current;
        if (current.status !== "ACTIVE") {
          throw failedPrecondition(
            `job ${id} is ${current.status}; only an ACTIVE job can be paused`,
          );
        }
        return stop(current, "PAUSED", ["ACTIVE"], { who });
      }),

    resume: (tenant, id, who) =>
      withFreedSlots(slots, clock, tenant, () =>
        retryAborted(clock, async () => {
          const current = await load(tenant, id);
          if (current.status === "ACTIVE") return current;
          if (current.status !== "PAUSED") {
            // A job that used up its remaining_runs fires again once they are raised.
            const hint =
              current.status === "FINISHED" && current.remainingRuns === 0
                ? "; its remaining_runs are used up: raise them with UpdateJob to run it again"
                : "";
            throw failedPrecondition(
              `job ${id} is ${current.status}; only a PAUSED job can be resumed${hint}`,
            );
          }
          const now = clock.now();
          // A one-time job that never fired fires on resume, even if its time passed.
          const nextRunMs =
            current.schedule.kind === "once"
              ? current.lastRunMs === undefined
                ? current.schedule.at
                : undefined
              : firstFire(
                  current.schedule,
                  now,
                  await loadFireContext(deps.calendars, tenant, current.schedule, id),
                );
          const status = nextRunMs === undefined ? "FINISHED" : "ACTIVE";
          const slot = slotChange(
            current,
            { status, schedule: current.schedule, nextRunMs, remainingRuns: current.remainingRuns },
            false,
            slots,
          );
          const job = await jobs.updateJob(
            tenant,
            id,
            {
              ...(nextRunMs === undefined ? { status } : { status, nextRunMs }),
              ...(slot ? { slot } : {}),
              pauses: withResume(current.pauses, now, who, current.updatedMs),
              // A resumed job counts its failures afresh (pause_after_failures);
              // in the same write, whatever was counted since the read.
              clearFailures: true,
            },
            { statusIn: ["PAUSED"], version: current.version },
            now,
          );
          return deps.scheduled(job);
        }),
      ),
  };
}
