/**
 * The workflow handler: the run of a workflow's trigger job starts one
 * workflow run at the same scheduled time, so the scheduler claims and fires
 * workflows exactly like jobs. Starting is idempotent (one conditional write
 * creates the run), so a redelivered or re-queued trigger starts it once.
 */
import { type Clock, systemClock } from "../../core/clock.js";
import type { WorkflowTarget } from "../../core/job.js";
import { type RetrySchedule, retry } from "../../core/retry.js";
import type { WorkflowRuns } from "../../core/workflow/runs.js";
import { workflowRunId } from "../../core/workflow/workflow.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";

/** Four tries, 0.4 s doubling between them. */
const START_RETRIES: RetrySchedule = { attempts: 4, baseMs: 400, maxMs: 1_600 };

export function createWorkflowHandler(
  runs: WorkflowRuns,
  clock: Clock = systemClock,
): JobHandler<WorkflowTarget> {
  return {
    type: "workflow",
    async run(target: WorkflowTarget, ctx: RunContext): Promise<HandlerResult> {
      const id = workflowRunId(target.workflowId, ctx.scheduledMs);
      let failure: unknown;
      try {
        const started = await retry(
          START_RETRIES,
          () => runs.start(target.workflowId, ctx.scheduledMs),
          clock,
          {
            signal: ctx.signal,
            onRetry: (err, attempt) => {
              failure = err;
              ctx.logger.warn({ err, attempt }, "starting the workflow run failed; retrying");
            },
          },
        );
        return started
          ? { ok: true, summary: `started workflow run ${id}` }
          : { ok: false, summary: `workflow ${target.workflowId} is deleted` };
      } catch (err) {
        // Stopped while waiting to retry: the start's own failure says more than the abort.
        const why = ctx.signal.aborted && failure !== undefined ? failure : err;
        return { ok: false, summary: `could not start workflow run ${id}: ${String(why)}` };
      }
    },
  };
}
