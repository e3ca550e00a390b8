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
  claimed?: boolean;
  failing?: boolean;
};

/** The body of a message carrying several runs (`packs.ts`). */
interface PackMessage {
  runs: unknown[];
}

/**
 * The runs a message body carries: one for a run message, each of a pack's
 * (`packs.ts`; undefined for a member that is not a run), and whether it was
 * a pack; undefined when the body is neither.
 */
export function parseRuns(
  body: string | undefined,
): { runs: Array<RunMessage | undefined>; pack: boolean } | undefined {
  let m: unknown;
  try {
    m = JSON.parse(body ?? "");
  } catch {
    return undefined;
  }
  if (m && typeof m === "object" && Array.isArray((m as PackMessage).runs)) {
    return { runs: (m as PackMessage).runs.map(runOf), pack: true };
  }
  const run = runOf(m);
  return run ? { runs: [run], pack: false } : undefined;
}

function runOf(parsed: unknown): RunMessage | undefined {
  if (!parsed || typeof parsed !== "object") return undefined;
  const m = parsed as Partial<RunMessage>;
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
      ...(m.claimed === true ? { claimed: true } : {}),
      ...(typeof m.failing === "boolean" ? { failing: m.failing } : {}),
      ...(typeof m.workflowId === "string" ? { workflowId: m.workflowId } : {}),
      ...(typeof m.backfillId === "string" && m.backfillId !== ""
        ? { backfillId: m.backfillId }
        : {}),
      ...(m.wait &&
      isWaitReason(m.wait.reason) &&
      typeof m.wait.sinceMs === "number" &&
      typeof m.wait.resends === "number"
        ? { wait: { reason: m.wait.reason, sinceMs: m.wait.sinceMs, resends: m.wait.resends } }
        : {}),
    };
  }
  return undefined;
}
