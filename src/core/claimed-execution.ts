import { type Execution, executionId, parseExecutionId } from "./execution.js";
import type { ExecutionStore } from "./ports/execution-store.js";
import type { JobStore } from "./ports/job-store.js";

/**
 * A run claimed (or triggered) but not yet started has no execution record:
 * its claim lives in its job's claim record until the worker's start write.
 * GetExecution answers such an id from that record, so the id TriggerJob
 * returns is found at once: QUEUED when due, SCHEDULED when sent ahead of
 * its time. Undefined when no claim holds it, or the job is not the
 * tenant's. Costs two reads, only for an id with no record.
 */
export async function claimedExecution(
  deps: { jobs: JobStore; executions: ExecutionStore; nowMs: number },
  tenant: string,
  id: string,
): Promise<Execution | undefined> {
  const parsed = parseExecutionId(id);
  if (parsed?.attempt !== 1) return undefined;
  const job = await deps.jobs.getJob(tenant, parsed.jobId);
  if (!job) return undefined;
  const claimed = await deps.jobs.claimedRuns(job.id);
  const manual = claimed?.manual.includes(parsed.scheduledMs) ?? false;
  if (!manual && !claimed?.scheduled.includes(parsed.scheduledMs)) {
    // Started between the two reads: its start removed the claim.
    return deps.executions.getExecution(tenant, id);
  }
  const run = {
    tenant: job.tenant,
    jobId: job.id,
    partition: job.partition,
    scheduledMs: parsed.scheduledMs,
    attempt: 1,
    manual,
  };
  const status = parsed.scheduledMs > deps.nowMs ? "SCHEDULED" : "QUEUED";
  return { ...run, id: executionId(run), status };
}
