import { DEFAULT_TENANT } from "./caller.js";
import type { UntenantedRun } from "./execution.js";
import type { JobStore } from "./ports/job-store.js";
import type { OutgoingRun } from "./ports/work-queue.js";
import { priorityOf } from "./priority.js";
import { runMessageFor } from "./run-message.js";
import { ALL_TENANTS } from "./tenant.js";

/** A run to send whose priority or tenant the sender may not know. */
export type PartialRun = Omit<OutgoingRun, "tenant"> & Pick<UntenantedRun, "tenant">;

/**
 * Fills in the priority and tenant of runs that lack one by reading their
 * jobs, once per job. For senders off the hot path (re-sends of the recovery
 * sweep, the leader's re-queue of a lost worker's runs, claims from a due
 * index that predates priorities). A job that is gone counts as MEDIUM (and
 * `default`'s): the worker that receives the run finds it gone and drops it.
 */
export async function withJobFields(
  runs: PartialRun[],
  jobs: Pick<JobStore, "getJob">,
): Promise<OutgoingRun[]> {
  const missing = [
    ...new Set(runs.filter((r) => !r.priority || r.tenant === undefined).map((r) => r.jobId)),
  ];
  // Every run has both (the claimer's, on a current table): as they are, no copy.
  if (missing.length === 0) return runs as OutgoingRun[];
  const found = new Map(
    await Promise.all(
      missing.map(async (id) => {
        // A system read: the run's tenant is what this read learns.
        const job = await jobs.getJob(ALL_TENANTS, id);
        return [
          id,
          { priority: priorityOf(job?.priority), tenant: job?.tenant ?? DEFAULT_TENANT },
        ] as const;
      }),
    ),
  );
  return runs.map((run) => {
    const job = found.get(run.jobId);
    return runMessageFor(
      { ...run, tenant: run.tenant ?? job!.tenant },
      { ...run, priority: run.priority ?? job!.priority },
    );
  });
}
