/**
 * The worker's one call after it recorded an outcome. Costs nothing for a job
 * without notifications: the claim told the worker (`notify` on the message)
 * whether the job has any, and only then is the job read, off the run's path
 * (the message is acknowledged without waiting).
 */

import type { Logger } from "pino";
import type { Execution } from "../core/execution.js";
import type { Job } from "../core/job.js";
import type { NotifyEvent } from "../core/notification.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { Notifier } from "./notifier.js";

export interface OutcomeNotifications {
  /**
   * Notifies in the background. `job`: the job when the worker already read it
   * (a resent run); `notify`: the claim's flag. Returns the background work
   * (for tests and for a draining worker); it never rejects.
   */
  afterOutcome(
    event: NotifyEvent,
    run: { job?: Job; notify?: boolean },
    execution: Execution,
  ): Promise<void>;
  /** Waits for notifications in progress (graceful stop). */
  drain(): Promise<void>;
}

export function createOutcomeNotifications(deps: {
  jobs: JobStore;
  notifier: Notifier;
  logger: Logger;
}): OutcomeNotifications {
  const pending = new Set<Promise<void>>();
  return {
    afterOutcome(event, run, execution) {
      if (run.job ? !run.job.notifications?.length : !run.notify) return Promise.resolve();
      const work = (async () => {
        try {
          // Read now rather than at the claim: the targets as of the outcome.
          const job = run.job ?? (await deps.jobs.getJob(execution.tenant, execution.jobId));
          if (job) await deps.notifier.notify(event, job, execution);
        } catch (err) {
          deps.logger.warn({ err: String(err), executionId: execution.id }, "notify failed");
        }
      })();
      pending.add(work);
      void work.finally(() => pending.delete(work));
      return work;
    },
    async drain() {
      await Promise.all(pending);
    },
  };
}
