import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { executionId, type RunRef } from "../core/execution.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { withJobFields } from "../core/with-job-fields.js";

/** Why a run was aborted when its worker lost its cluster session. */
export class SessionLost extends Error {}

/**
 * Hands over a run aborted because this worker lost its cluster session: the
 * attempt ends FAILED ("worker lost") and the next one is recorded QUEUED and
 * sent, exactly what the leader does for a lost worker. The worker does it
 * itself because its own session deadline passes before its lease lapses in
 * etcd, so the leader has not re-queued yet; recording the aborted handler's
 * failure instead would end the run FAILED with no retry (a run lost to a
 * network fault). `requeue` is conditional on the attempt still RUNNING on
 * this worker, so when the leader got there first nothing more happens.
 */
export async function handOverLostRun(
  deps: {
    executions: ExecutionStore;
    jobs: Pick<JobStore, "getJob">;
    queue: WorkQueue;
    clock: Clock;
    logger: Logger;
    workerId: string;
    /** When the recovery sweep sends the new attempt again if it has not started. */
    recheckMs: number;
  },
  run: RunRef,
  reason: string,
): Promise<void> {
  const now = deps.clock.now();
  const next = await deps.executions.requeue(
    { ...run, id: executionId(run), status: "RUNNING", workerId: deps.workerId },
    `worker ${deps.workerId} lost: ${reason}; re-queued as attempt ${run.attempt + 1}`,
    now,
    now + deps.recheckMs,
  );
  if (!next) return;
  // If this send fails (the queue is unreachable too), the sweep sends the QUEUED attempt later.
  await deps.queue.send(await withJobFields([next], deps.jobs)).catch((err: unknown) => {
    deps.logger.warn({ err }, "could not send the re-queued attempt; the sweep will");
  });
  deps.logger.warn({ attempt: next.attempt }, "run aborted by a lost session; re-queued");
}
