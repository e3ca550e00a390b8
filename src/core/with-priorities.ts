import type { JobStore } from "./ports/job-store.js";
import type { OutgoingRun } from "./ports/work-queue.js";
import { priorityOf } from "./priority.js";

/**
 * Fills in the priority of runs that lack one by reading their jobs, once per
 * job. For senders off the hot path (re-sends of the recovery sweep, the
 * leader's re-queue of a lost worker's runs, claims from a due index that
 * predates priorities). A job that is gone counts as MEDIUM: the worker that
 * receives the run finds it gone and drops it.
 */
export async function withPriorities(
  runs: OutgoingRun[],
  jobs: Pick<JobStore, "getJob">,
): Promise<OutgoingRun[]> {
  const missing = [...new Set(runs.filter((r) => !r.priority).map((r) => r.jobId))];
  if (missing.length === 0) return runs;
  const found = new Map(
    await Promise.all(
      missing.map(async (id) => [id, priorityOf((await jobs.getJob(id))?.priority)] as const),
    ),
  );
  return runs.map((run) => (run.priority ? run : { ...run, priority: found.get(run.jobId)! }));
}
