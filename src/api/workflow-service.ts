/**
 * chronoring.v1.WorkflowService: thin handlers, codec → WorkflowCommands → codec.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { validatePageSize } from "../core/validate-job.js";
import type { WorkflowCommands } from "../core/workflow/commands.js";
import { pageTokenFromProto, pageTokenToProto } from "./codec.js";
import { workflowInputFromProto, workflowRunToProto, workflowToProto } from "./workflow-codec.js";

export function createWorkflowService(
  commands: WorkflowCommands,
): ServiceImpl<typeof WorkflowService> {
  return {
    async createWorkflow(req) {
      return { workflow: workflowToProto(await commands.create(workflowInputFromProto(req))) };
    },
    async getWorkflow(req) {
      return { workflow: workflowToProto(await commands.get(req.id)) };
    },
    async listWorkflows(req) {
      const page = await commands.list(
        req.owner,
        validatePageSize(req.pageSize),
        pageTokenFromProto(req.pageToken),
      );
      return {
        workflows: page.items.map(workflowToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },
    async deleteWorkflow(req) {
      return { workflow: workflowToProto(await commands.delete(req.id)) };
    },
    async triggerWorkflow(req) {
      return { runId: await commands.trigger(req.id) };
    },
    async listWorkflowRuns(req) {
      const page = await commands.listRuns(
        req.workflowId,
        validatePageSize(req.pageSize),
        pageTokenFromProto(req.pageToken),
      );
      return {
        runs: page.items.map(workflowRunToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },
    async getWorkflowRun(req) {
      return { run: workflowRunToProto(await commands.getRun(req.id)) };
    },
  };
}
