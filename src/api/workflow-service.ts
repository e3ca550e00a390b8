/**
 * chronoring.v1.WorkflowService: thin handlers, codec → WorkflowCommands → codec.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { validatePageSize } from "../core/validate-job.js";
import type { WorkflowCommands } from "../core/workflow/commands.js";
import { tenantOf } from "./caller-context.js";
import { pageTokenFromProto, pageTokenToProto } from "./codec.js";
import { workflowInputFromProto, workflowRunToProto, workflowToProto } from "./workflow-codec.js";

export function createWorkflowService(
  commands: WorkflowCommands,
): ServiceImpl<typeof WorkflowService> {
  return {
    async createWorkflow(req, ctx) {
      return {
        workflow: workflowToProto(
          await commands.create(tenantOf(ctx), workflowInputFromProto(req)),
        ),
      };
    },
    async getWorkflow(req, ctx) {
      return { workflow: workflowToProto(await commands.get(tenantOf(ctx), req.id)) };
    },
    async listWorkflows(req, ctx) {
      const page = await commands.list(
        tenantOf(ctx),
        req.owner,
        validatePageSize(req.pageSize),
        pageTokenFromProto(req.pageToken),
      );
      return {
        workflows: page.items.map(workflowToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },
    async deleteWorkflow(req, ctx) {
      return { workflow: workflowToProto(await commands.delete(tenantOf(ctx), req.id)) };
    },
    async triggerWorkflow(req, ctx) {
      return { runId: await commands.trigger(tenantOf(ctx), req.id) };
    },
    async listWorkflowRuns(req, ctx) {
      const page = await commands.listRuns(
        tenantOf(ctx),
        req.workflowId,
        validatePageSize(req.pageSize),
        pageTokenFromProto(req.pageToken),
      );
      return {
        runs: page.items.map(workflowRunToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },
    async getWorkflowRun(req, ctx) {
      return { run: workflowRunToProto(await commands.getRun(tenantOf(ctx), req.id)) };
    },
  };
}
