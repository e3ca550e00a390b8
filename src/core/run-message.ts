/**
 * The queue message of a run: one builder for every sender (the claimer,
 * TriggerJob, workflow node runs, retries, a worker's held and waiting runs,
 * the re-sends that `withJobFields` completes), so that what a message
 * carries is decided here and nowhere else.
 */

import type { RunRef } from "./execution.js";
import type { Job } from "./job.js";
import type { Delivery, OutgoingRun } from "./ports/work-queue.js";
import { priorityOf } from "./priority.js";

/** What a run's message carries beside the run, as its sender knows it (see `OutgoingRun`). */
export type RunCarries = Pick<
  OutgoingRun,
  "target" | "limits" | "priority" | "notify" | "workflowId" | "delayMs" | "trace" | "wait"
>;

/**
 * The message that sends `run`. Only the run's own fields are taken from it
 * (never what else the object holds, which would ride in the message body);
 * of `carries`, only what is set: no limits, no notifications, no workflow
 * and no delay are all left out, so that every sender's message has the same
 * shape and a field present means something. The target rides with the run
 * only when the sender has it; without it the worker reads the job.
 */
export function runMessageFor(run: RunRef, carries: RunCarries = {}): OutgoingRun {
  const message: OutgoingRun = {
    tenant: run.tenant,
    jobId: run.jobId,
    partition: run.partition,
    scheduledMs: run.scheduledMs,
    attempt: run.attempt,
    manual: run.manual,
  };
  if (run.plannedMs !== undefined) message.plannedMs = run.plannedMs;
  if (carries.target) message.target = carries.target;
  if (carries.limits) message.limits = carries.limits;
  if (carries.workflowId) message.workflowId = carries.workflowId;
  if (carries.priority) message.priority = carries.priority;
  if (carries.notify) message.notify = true;
  if (carries.delayMs !== undefined && carries.delayMs > 0) message.delayMs = carries.delayMs;
  if (carries.trace) message.trace = carries.trace;
  if (carries.wait) message.wait = carries.wait;
  return message;
}

/**
 * What a run of `job` carries when its sender has read the job: its target,
 * limits, priority (MEDIUM when it has none, or when the job is gone) and
 * whether it has notification targets.
 */
export function jobCarries(
  job: Pick<Job, "target" | "limits" | "priority" | "notifications"> | undefined,
): RunCarries {
  return {
    priority: priorityOf(job?.priority),
    ...(job?.target ? { target: job.target } : {}),
    ...(job?.limits ? { limits: job.limits } : {}),
    ...(job?.notifications?.length ? { notify: true } : {}),
  };
}

/**
 * What a received run's re-send keeps of its delivery (a worker holding it
 * back for its limits or its tenant's quotas): its queue and whether its
 * job notifies. Not the delivery's trace: the re-send continues the worker's.
 */
export function carriedBy(delivery: Pick<Delivery, "priority" | "notify">): RunCarries {
  return {
    ...(delivery.priority ? { priority: delivery.priority } : {}),
    ...(delivery.notify ? { notify: true } : {}),
  };
}
