/**
 * How the worker tells a workflow run that one of its nodes finished. Only
 * runs of a workflow's node jobs get here (the worker knows them by the
 * message's `workflowId` or the job's), so a plain job pays nothing.
 */
import type { Logger } from "pino";
import { executionId, type RunRef } from "../core/execution.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { NodeOutcome, WorkflowRuns } from "../core/workflow/runs.js";

const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

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
): NodeHook {
  const hook: NodeHook = {
    async finished(workflowId, run, status) {
      for (let attempt = 1; ; attempt++) {
        try {
          await workflows.onNodeFinished({
            workflowId,
            jobId: run.jobId,
            scheduledMs: run.scheduledMs,
            status,
          });
          return;
        } catch (err) {
          // Thrown on: the message stays, and its redelivery reports again.
          if (attempt >= 3) throw err;
          logger.warn({ err, attempt }, "could not advance the workflow run; retrying");
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        }
      }
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
