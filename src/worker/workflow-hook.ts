/**
 * How the worker tells a workflow run that one of its nodes finished. Only
 * runs of a workflow's node jobs get here (the worker knows them by the
 * message's `workflowId` or the job's), so a plain job pays nothing.
 */
import type { Logger } from "pino";
import { type Clock, systemClock } from "../core/clock.js";
import { executionId, type RunRef } from "../core/execution.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import { type RetrySchedule, retry } from "../core/retry.js";
import type { NodeOutcome, WorkflowRuns } from "../core/workflow/runs.js";

const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
/** Three tries, 0.4 s then 0.8 s apart. */
const ADVANCE_RETRIES: RetrySchedule = { attempts: 3, baseMs: 400, maxMs: 800 };

export interface NodeHook {
  /** The node's run ended with this final outcome (no retry to follow). */
  finished(workflowId: string, run: RunRef, status: NodeOutcome["status"]): Promise<void>;
  /**
   * A redelivery of a node run already recorded: if it ended, report it again,
   * so that an advance lost to a crash after the outcome was recorded still happens.
   */
  redelivered(workflowId: string, run: RunRef): Promise<void>;
}

export function createNodeHook(
  workflows: WorkflowRuns,
  executions: ExecutionStore,
  logger: Logger,
  clock: Clock = systemClock,
): NodeHook {
  const hook: NodeHook = {
    async finished(workflowId, run, status) {
      // Thrown on after the last try: the message stays, and its redelivery reports again.
      await retry(
        ADVANCE_RETRIES,
        () =>
          workflows.onNodeFinished({
            workflowId,
            jobId: run.jobId,
            scheduledMs: run.scheduledMs,
            status,
          }),
        clock,
        {
          onRetry: (err, attempt) =>
            logger.warn({ err, attempt }, "could not advance the workflow run; retrying"),
        },
      );
    },
    async redelivered(workflowId, run) {
      const stored = await executions.getExecution(run.tenant, executionId(run));
      // A FAILED attempt that a retry follows is not the node's outcome;
      // a DEAD one (retries exhausted) is a failure.
      if (!stored || (stored.status === "FAILED" && stored.nextAttemptMs !== undefined)) return;
      const status = stored.status === "DEAD" ? "FAILED" : stored.status;
      if (FINAL.has(status)) await hook.finished(workflowId, run, status as NodeOutcome["status"]);
    },
  };
  return hook;
}
