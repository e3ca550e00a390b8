import { isWaitReason, type RunWait, type UntenantedRun } from "../../core/execution.js";
import type { JobLimits, JobTarget } from "../../core/job.js";

/**
 * The body of a run message. `tenant` is absent only in messages sent before
 * tenancy: the worker then reads the job for it.
 */
export type RunMessage = UntenantedRun & {
  sentMs: number;
  target?: JobTarget;
  limits?: JobLimits;
  notify?: boolean;
  workflowId?: string;
  wait?: RunWait;
};

/** The run a message body carries; undefined when it is not a run message. */
export function parseRun(body: string | undefined): RunMessage | undefined {
  try {
    const m = JSON.parse(body ?? "") as Partial<RunMessage>;
    if (
      typeof m.jobId === "string" &&
      typeof m.scheduledMs === "number" &&
      typeof m.attempt === "number" &&
      typeof m.partition === "number"
    ) {
      return {
        jobId: m.jobId,
        scheduledMs: m.scheduledMs,
        attempt: m.attempt,
        partition: m.partition,
        manual: m.manual === true,
        ...(typeof m.plannedMs === "number" ? { plannedMs: m.plannedMs } : {}),
        ...(typeof m.tenant === "string" && m.tenant !== "" ? { tenant: m.tenant } : {}),
        sentMs: typeof m.sentMs === "number" ? m.sentMs : 0,
        ...(m.target && typeof m.target === "object" && typeof m.target.type === "string"
          ? { target: m.target }
          : {}),
        ...(m.limits && typeof m.limits === "object" && typeof m.limits.overlap === "string"
          ? { limits: m.limits }
          : {}),
        ...(m.notify === true ? { notify: true } : {}),
        ...(typeof m.workflowId === "string" ? { workflowId: m.workflowId } : {}),
        ...(m.wait &&
        isWaitReason(m.wait.reason) &&
        typeof m.wait.sinceMs === "number" &&
        typeof m.wait.resends === "number"
          ? { wait: { reason: m.wait.reason, sinceMs: m.wait.sinceMs, resends: m.wait.resends } }
          : {}),
      };
    }
  } catch {
    // not a run message
  }
  return undefined;
}
