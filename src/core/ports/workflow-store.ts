import type { RunRef } from "../execution.js";
import type { TenantScope } from "../tenant.js";
import type {
  NodeRunStatus,
  Workflow,
  WorkflowRun,
  WorkflowRunStatus,
} from "../workflow/workflow.js";
import type { Page } from "./job-store.js";

/** A node run to record QUEUED: the run's node and its execution (attempt 1). */
export interface NodeQueueing {
  key: string;
  run: RunRef;
}

/**
 * Durable workflows and workflow runs, each of one tenant (see JobStore). Every change of a run is a
 * conditional write, so that two workers advancing the same run at once
 * (the two upstreams of a join finishing together) queue a node only once.
 */
export interface WorkflowStore {
  createWorkflow(workflow: Workflow): Promise<void>;
  /** Undefined when unknown or not in `scope`. */
  getWorkflow(scope: TenantScope, id: string): Promise<Workflow | undefined>;
  /** The tenant's workflows of `owner`, newest first. */
  listWorkflows(
    tenant: string,
    owner: string,
    pageSize: number,
    pageToken?: string,
  ): Promise<Page<Workflow>>;
  /** Marks it DELETED; returns it as stored after (undefined: unknown or another tenant's). */
  markDeleted(tenant: string, id: string): Promise<Workflow | undefined>;

  /**
   * Creates the run with every node PENDING except `roots`, which are
   * recorded QUEUED together with their QUEUED executions (recheck at
   * `recheckAtMs`) in the same transaction. `false` when the run exists.
   */
  startRun(run: WorkflowRun, roots: NodeQueueing[], recheckAtMs: number): Promise<boolean>;
  /** Undefined when unknown or not in `scope`. */
  getRun(
    scope: TenantScope,
    workflowId: string,
    scheduledMs: number,
  ): Promise<WorkflowRun | undefined>;
  /** Runs of a workflow of the tenant, newest first (none for another tenant's workflow). */
  listRuns(
    tenant: string,
    workflowId: string,
    pageSize: number,
    pageToken?: string,
  ): Promise<Page<WorkflowRun>>;
  /**
   * Moves a node PENDING → QUEUED and records its QUEUED execution, in one
   * transaction; `false` when the node was no longer PENDING (someone else won).
   */
  queueNode(
    workflowId: string,
    scheduledMs: number,
    node: NodeQueueing,
    nowMs: number,
    recheckAtMs: number,
  ): Promise<boolean>;
  /**
   * Sets a node's status unless it is already in a final state; returns the
   * run as stored after the write (or as it is, when the write was refused).
   */
  setNodeStatus(
    workflowId: string,
    scheduledMs: number,
    key: string,
    status: NodeRunStatus,
    nowMs: number,
  ): Promise<WorkflowRun | undefined>;
  /** Ends a RUNNING run; a run already ended stays as it is. */
  finishRun(
    workflowId: string,
    scheduledMs: number,
    status: Exclude<WorkflowRunStatus, "RUNNING">,
    nowMs: number,
  ): Promise<void>;
}
