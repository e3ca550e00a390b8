/**
 * The workflow handler: the run of a workflow's trigger job starts one
 * workflow run at the same scheduled time, so the scheduler claims and fires
 * workflows exactly like jobs. Starting is idempotent (one conditional write
 * creates the run), so a redelivered or re-queued trigger starts it once.
 */
import type { WorkflowTarget } from "../../core/job.js";
import type { WorkflowRuns } from "../../core/workflow/runs.js";
import { workflowRunId } from "../../core/workflow/workflow.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";

export function createWorkflowHandler(runs: WorkflowRuns): JobHandler<WorkflowTarget> {
  return {
    type: "workflow",
    async run(target: WorkflowTarget, ctx: RunContext): Promise<HandlerResult> {
      const id = workflowRunId(target.workflowId, ctx.scheduledMs);
      for (let attempt = 1; ; attempt++) {
        try {
          const started = await runs.start(target.workflowId, ctx.scheduledMs);
          return started
            ? { ok: true, summary: `started workflow run ${id}` }
            : { ok: false, summary: `workflow ${target.workflowId} is deleted` };
        } catch (err) {
          if (attempt >= 4 || ctx.signal.aborted) {
            return { ok: false, summary: `could not start workflow run ${id}: ${String(err)}` };
          }
          ctx.logger.warn({ err, attempt }, "starting the workflow run failed; retrying");
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        }
      }
    },
  };
}
