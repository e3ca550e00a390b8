/**
 * Domain types of workflows: a DAG of node jobs that runs as a whole. Each
 * node is a real job (`Job.workflowId`), so that a node run is an ordinary
 * execution and keeps every invariant of job runs (claim, idempotent start,
 * lost-worker re-queue, recovery sweep, limits).
 */
import { newJobId } from "../ids.js";
import type { JobTarget, Schedule } from "../job.js";

export type WorkflowStatus = "ACTIVE" | "DELETED";
export type WorkflowRunStatus = "RUNNING" | "SUCCEEDED" | "FAILED";
/** RUNNING is never stored in the run: it is read from the node's execution. */
export type NodeRunStatus = "PENDING" | "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "SKIPPED";

export const NODE_TERMINAL: readonly NodeRunStatus[] = ["SUCCEEDED", "FAILED", "SKIPPED"];

export interface WorkflowNode {
  key: string;
  name: string;
  target: JobTarget;
  /** Keys of the upstream nodes. */
  dependsOn: string[];
  /** The node's job. */
  jobId: string;
}

export interface Workflow {
  id: string;
  /** Its node jobs, trigger job and runs are this tenant's too. */
  tenant: string;
  name: string;
  owner: string;
  tags: string[];
  schedule: Schedule;
  nodes: WorkflowNode[];
  status: WorkflowStatus;
  /** The job whose runs start workflow runs (target `workflow`). */
  triggerJobId: string;
  createdMs: number;
}

/** One node in one workflow run. */
export interface NodeRun {
  key: string;
  jobId: string;
  status: NodeRunStatus;
  /** Set once QUEUED. */
  executionId?: string;
  queuedMs?: number;
  endedMs?: number;
}

export interface WorkflowRun {
  workflowId: string;
  /** The workflow's tenant. */
  tenant: string;
  scheduledMs: number;
  status: WorkflowRunStatus;
  /** In the workflow's node order. */
  nodes: NodeRun[];
  startedMs: number;
  endedMs?: number;
}

export const WORKFLOW_ID_PATTERN = /^wf_[a-z0-9]{26}$/;

/** `<workflow id>:<scheduled ms>`. */
export function workflowRunId(workflowId: string, scheduledMs: number): string {
  return `${workflowId}:${scheduledMs}`;
}

export function parseWorkflowRunId(
  id: string,
): { workflowId: string; scheduledMs: number } | undefined {
  const m = /^(wf_[a-z0-9]{26}):(\d{1,16})$/.exec(id);
  if (!m) return undefined;
  const scheduledMs = Number(m[2]);
  if (!Number.isSafeInteger(scheduledMs)) return undefined;
  return { workflowId: m[1]!, scheduledMs };
}

/** A new workflow id: `wf_` and 26 characters, built like a job id (time-sortable, 80 random bits). */
export function newWorkflowId(nowMs: number): string {
  return `wf_${newJobId(nowMs).slice("job_".length)}`;
}
