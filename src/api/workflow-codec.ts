/**
 * Proto ↔ domain for WorkflowService, beside `codec.ts` (which it reuses for
 * schedules, targets and page tokens).
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type CreateWorkflowRequest,
  NodeRunStatus as NodeRunStatusPb,
  type Workflow as WorkflowPb,
  type WorkflowRun as WorkflowRunPb,
  WorkflowRunSchema,
  WorkflowRunStatus as WorkflowRunStatusPb,
  WorkflowSchema,
  WorkflowStatus as WorkflowStatusPb,
} from "../../gen/chronoring/v1/workflow_service_pb.js";
import type { WorkflowInput } from "../core/workflow/commands.js";
import {
  type NodeRunStatus,
  type Workflow,
  type WorkflowRun,
  type WorkflowRunStatus,
  workflowRunId,
} from "../core/workflow/workflow.js";
import {
  scheduleInputFromProto,
  scheduleToProto,
  targetFromProto,
  targetToProto,
} from "./codec.js";

const ts = (ms: number | undefined) => (ms === undefined ? undefined : timestampFromMs(ms));

export function workflowInputFromProto(req: CreateWorkflowRequest): WorkflowInput {
  return {
    name: req.name,
    owner: req.owner,
    tags: [...req.tags],
    schedule: scheduleInputFromProto(req.schedule),
    nodes: req.nodes.map((n, i) => ({
      key: n.key,
      name: n.name,
      target: targetFromProto(n.target, `nodes[${i}].target`),
      dependsOn: [...n.dependsOn],
    })),
  };
}

export function workflowToProto(wf: Workflow): WorkflowPb {
  return create(WorkflowSchema, {
    id: wf.id,
    name: wf.name,
    owner: wf.owner,
    tags: [...wf.tags],
    schedule: scheduleToProto(wf.schedule),
    nodes: wf.nodes.map((n) => ({
      key: n.key,
      name: n.name,
      target: targetToProto(n.target),
      dependsOn: [...n.dependsOn],
      jobId: n.jobId,
    })),
    status: wf.status === "ACTIVE" ? WorkflowStatusPb.ACTIVE : WorkflowStatusPb.DELETED,
    triggerJobId: wf.triggerJobId,
    createTime: timestampFromMs(wf.createdMs),
  });
}

const RUN_STATUS: Record<WorkflowRunStatus, WorkflowRunStatusPb> = {
  RUNNING: WorkflowRunStatusPb.RUNNING,
  SUCCEEDED: WorkflowRunStatusPb.SUCCEEDED,
  FAILED: WorkflowRunStatusPb.FAILED,
};

const NODE_STATUS: Record<NodeRunStatus, NodeRunStatusPb> = {
  PENDING: NodeRunStatusPb.PENDING,
  QUEUED: NodeRunStatusPb.QUEUED,
  RUNNING: NodeRunStatusPb.RUNNING,
  SUCCEEDED: NodeRunStatusPb.SUCCEEDED,
  FAILED: NodeRunStatusPb.FAILED,
  SKIPPED: NodeRunStatusPb.SKIPPED,
};

export function workflowRunToProto(run: WorkflowRun): WorkflowRunPb {
  return create(WorkflowRunSchema, {
    id: workflowRunId(run.workflowId, run.scheduledMs),
    workflowId: run.workflowId,
    scheduledTime: timestampFromMs(run.scheduledMs),
    status: RUN_STATUS[run.status],
    startTime: timestampFromMs(run.startedMs),
    endTime: ts(run.endedMs),
    nodes: run.nodes.map((n) => ({
      key: n.key,
      jobId: n.jobId,
      status: NODE_STATUS[n.status],
      executionId: n.executionId ?? "",
      queueTime: ts(n.queuedMs),
      endTime: ts(n.endedMs),
    })),
  });
}
