import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { RunRef } from "../core/execution.js";
import type { JobLimits, JobTarget } from "../core/job.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import { carriedBy, runMessageFor } from "../core/run-message.js";
import type { TenantGate } from "./tenant-gate.js";

/**
 * Admits a run under its tenant's fire-time quotas. A run over them is
 * held, never dropped: sent again with a delay until it may start, and only
 * then is this delivery removed, so a crash between the two leaves a
 * duplicate message (the start is keyed by execution id), never none.
 * Returns true when the run may start; the caller then releases it with
 * `gate.release` once it is over, however it ended.
 */
export async function admitForTenant(deps: {
  gate: TenantGate;
  queue: Pick<WorkQueue, "send" | "ack">;
  clock: Clock;
  held: { inc(labels: { reason: string }): void };
  delivery: Delivery;
  run: RunRef;
  target: JobTarget;
  limits: JobLimits | undefined;
  workflowId: string | undefined;
  logger: Logger;
}): Promise<boolean> {
  const { delivery, run } = deps;
  const admission = await deps.gate.admit(run.tenant);
  if (admission.kind === "start") return true;
  await deps.queue.send([
    runMessageFor(run, {
      ...carriedBy(delivery),
      target: deps.target,
      ...(deps.limits ? { limits: deps.limits } : {}),
      ...(deps.workflowId ? { workflowId: deps.workflowId } : {}),
      delayMs: admission.untilMs - deps.clock.now(),
    }),
  ]);
  await deps.queue.ack(delivery);
  deps.held.inc({ reason: admission.reason });
  deps.logger.info(
    { tenant: run.tenant, reason: admission.reason, untilMs: admission.untilMs },
    `run held: tenant over its ${admission.reason === "rate" ? "max_fires_per_minute" : "max_concurrent_runs"} quota`,
  );
  return false;
}
