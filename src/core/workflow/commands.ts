/**
 * The operations behind WorkflowService. A workflow is stored as its
 * definition plus real jobs: one node job per node (ACTIVE, with no next run,
 * so the scheduler never fires it on its own) and one trigger job that
 * carries the workflow's schedule and whose runs start workflow runs.
 */
import { type SlotDeps, slotOnCreate, withFreedSlots } from "../active-slots.js";
import type { Clock } from "../clock.js";
import { failedPrecondition, invalidArgument, isChronoringError, notFound } from "../errors.js";
import { newJobId } from "../ids.js";
import type { Job, JobTarget } from "../job.js";
import type { JobCommands } from "../job-commands.js";
import { partitionOf } from "../partition.js";
import type { ExecutionStore } from "../ports/execution-store.js";
import type { JobStore, Page } from "../ports/job-store.js";
import type { WorkflowStore } from "../ports/workflow-store.js";
import { firstRun, parseSchedule, type ScheduleInput } from "../schedule/index.js";
import { compileTargetAllow } from "../target-address.js";
import { validateName, validateOwner, validateTags, validateTarget } from "../validate-job.js";
import { validateTargetAddress } from "../validate-target-address.js";
import { topologicalOrder } from "./graph.js";
import {
  newWorkflowId,
  parseWorkflowRunId,
  WORKFLOW_ID_PATTERN,
  type Workflow,
  type WorkflowRun,
  workflowRunId,
} from "./workflow.js";

export interface WorkflowNodeInput {
  key: string;
  /** Empty: the key. */
  name: string;
  target: JobTarget;
  dependsOn: string[];
}

export interface WorkflowInput {
  name: string;
  owner: string;
  tags: string[];
  schedule: ScheduleInput;
  nodes: WorkflowNodeInput[];
}

/**
 * Each acts in the caller's tenant: another tenant's workflow or run is
 * not_found, as an unknown id; a workflow's node jobs, trigger job and runs
 * are its tenant's.
 */
export interface WorkflowCommands {
  create(tenant: string, input: WorkflowInput): Promise<Workflow>;
  get(tenant: string, id: string): Promise<Workflow>;
  list(
    tenant: string,
    owner: string,
    pageSize: number,
    pageToken?: string,
  ): Promise<Page<Workflow>>;
  /** Cancels the trigger job and the node jobs: no node run starts after it returns. */
  delete(tenant: string, id: string): Promise<Workflow>;
  /** Starts a run now; returns its id. */
  trigger(tenant: string, id: string): Promise<string>;
  listRuns(
    tenant: string,
    workflowId: string,
    pageSize: number,
    pageToken?: string,
  ): Promise<Page<WorkflowRun>>;
  getRun(tenant: string, id: string): Promise<WorkflowRun>;
}

/** Nodes of one workflow, serialized; leaves room in the 400 KB item for the rest. */
export const WORKFLOW_NODES_MAX_BYTES = 300 * 1024;

export function validateWorkflowId(id: string, field = "id"): void {
  if (id === "") throw invalidArgument(field, "required");
  if (!WORKFLOW_ID_PATTERN.test(id)) {
    throw invalidArgument(field, "must be wf_ followed by 26 lowercase letters and digits");
  }
}

export function createWorkflowCommands(deps: {
  jobs: JobStore;
  executions: ExecutionStore;
  workflows: WorkflowStore;
  commands: JobCommands;
  clock: Clock;
  partitionCount: number;
  onScheduled?: (partition: number, nextRunMs: number) => void;
  /** CHRONORING_TARGET_ALLOW, as for jobs (see JobCommandsDeps). */
  targetAllow?: readonly string[];
  /** The tenants' max_active_schedules quota: a workflow's trigger job holds its slot. */
  slots?: SlotDeps;
}): WorkflowCommands {
  const { jobs, executions, workflows, clock } = deps;
  const targetAllow = compileTargetAllow(deps.targetAllow ?? []);

  async function load(tenant: string, id: string): Promise<Workflow> {
    validateWorkflowId(id);
    const wf = await workflows.getWorkflow(tenant, id);
    if (!wf) throw notFound(`workflow ${id}`);
    return wf;
  }

  /** QUEUED nodes whose execution a worker holds are reported RUNNING. */
  async function withRunning(run: WorkflowRun): Promise<WorkflowRun> {
    const nodes = await Promise.all(
      run.nodes.map(async (node) => {
        if (node.status !== "QUEUED" || !node.executionId) return node;
        const e = await executions.getExecution(run.tenant, node.executionId);
        return e?.status === "RUNNING" ? { ...node, status: "RUNNING" as const } : node;
      }),
    );
    return { ...run, nodes };
  }

  function baseJob(
    tenant: string,
    id: string,
    now: number,
  ): Pick<Job, "id" | "tenant" | "partition" | "version" | "createdMs" | "updatedMs"> {
    return {
      id,
      tenant,
      partition: partitionOf(id, deps.partitionCount),
      version: 1,
      createdMs: now,
      updatedMs: now,
    };
  }

  return {
    async create(tenant, input) {
      validateName(input.name);
      validateOwner(input.owner);
      validateTags(input.tags);
      topologicalOrder(input.nodes);
      input.nodes.forEach((node, i) => {
        if (node.name !== "") validateName(node.name, `nodes[${i}].name`);
        validateTarget(node.target, `nodes[${i}].target`);
        validateTargetAddress(node.target, `nodes[${i}].target`, targetAllow);
      });
      // The definition is one DynamoDB item (at most 400 KB).
      const bytes = Buffer.byteLength(JSON.stringify(input.nodes));
      if (bytes > WORKFLOW_NODES_MAX_BYTES) {
        throw invalidArgument(
          "nodes",
          `nodes are ${bytes} bytes serialized, at most ${WORKFLOW_NODES_MAX_BYTES}`,
        );
      }
      const now = clock.now();
      const schedule = parseSchedule(input.schedule, now);
      const first = firstRun(schedule, now);
      if (first === undefined) throw invalidArgument("schedule", "has no run after now");
      const id = newWorkflowId(now);
      const jobIds = new Map(input.nodes.map((n) => [n.key, newJobId(now)]));
      const wf: Workflow = {
        id,
        tenant,
        name: input.name.trim(),
        owner: input.owner,
        tags: input.tags,
        schedule,
        status: "ACTIVE",
        triggerJobId: newJobId(now),
        createdMs: now,
        nodes: input.nodes.map((n) => ({
          key: n.key,
          name: n.name.trim() || n.key,
          target: n.target,
          dependsOn: n.dependsOn,
          jobId: jobIds.get(n.key)!,
        })),
      };
      // Nodes first, then the definition, then the trigger (the only job with a
      // next run): a crash part-way leaves only jobs that never fire.
      for (const node of wf.nodes) {
        await jobs.createJob({
          ...baseJob(tenant, node.jobId, now),
          name: node.name,
          // Never fires on its own: no next run, and a once-schedule already
          // "run" (lastRunMs), so ResumeJob after PauseJob finishes it instead.
          schedule: { kind: "once", at: now },
          lastRunMs: now,
          target: node.target,
          status: "ACTIVE",
          tags: wf.tags,
          owner: wf.owner,
          workflowId: id,
          dependsOn: node.dependsOn.map((k) => jobIds.get(k)!),
        });
      }
      await workflows.createWorkflow(wf);
      const trigger: Job = {
        ...baseJob(tenant, wf.triggerJobId, now),
        name: `workflow ${wf.name}`,
        schedule,
        target: { type: "workflow", workflowId: id },
        status: "ACTIVE",
        tags: wf.tags,
        owner: wf.owner,
        nextRunMs: first,
      };
      const slot = slotOnCreate(trigger, deps.slots);
      if (slot) trigger.holdsSlot = true;
      try {
        await withFreedSlots(deps.slots, clock, tenant, () => jobs.createJob(trigger, slot));
      } catch (err) {
        // Past the quota: the nodes and the definition never fire; take them away.
        if (isChronoringError(err, "resource_exhausted")) {
          for (const node of wf.nodes) await deps.commands.cancel(tenant, node.jobId);
          await workflows.markDeleted(tenant, id);
        }
        throw err;
      }
      deps.onScheduled?.(trigger.partition, first);
      return wf;
    },

    get: load,

    async list(tenant, owner, pageSize, pageToken) {
      validateOwner(owner);
      return workflows.listWorkflows(tenant, owner, pageSize, pageToken);
    },

    async delete(tenant, id) {
      const wf = await load(tenant, id);
      // The trigger first, so no new run starts; then the nodes, so that a
      // queued node run of a running workflow run does not start either.
      await deps.commands.cancel(wf.tenant, wf.triggerJobId);
      for (const node of wf.nodes) await deps.commands.cancel(wf.tenant, node.jobId);
      return (await workflows.markDeleted(tenant, id)) ?? { ...wf, status: "DELETED" };
    },

    async trigger(tenant, id) {
      const wf = await load(tenant, id);
      if (wf.status !== "ACTIVE") throw failedPrecondition(`workflow ${id} is ${wf.status}`);
      const run = await deps.commands.trigger(wf.tenant, wf.triggerJobId);
      return workflowRunId(id, run.scheduledMs);
    },

    async listRuns(tenant, workflowId, pageSize, pageToken) {
      validateWorkflowId(workflowId, "workflow_id");
      const page = await workflows.listRuns(tenant, workflowId, pageSize, pageToken);
      return { ...page, items: await Promise.all(page.items.map(withRunning)) };
    },

    async getRun(tenant, id) {
      const parsed = parseWorkflowRunId(id);
      if (!parsed) throw invalidArgument("id", "must be <workflow id>:<scheduled ms>");
      const run = await workflows.getRun(tenant, parsed.workflowId, parsed.scheduledMs);
      if (!run) throw notFound(`workflow run ${id}`);
      return withRunning(run);
    },
  };
}
