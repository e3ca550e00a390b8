/**
 * Starting and advancing workflow runs, over the ports. Every step is a
 * conditional write followed by a send: a crash between the two leaves a
 * QUEUED execution with a recheck time, which the recovery sweep sends again,
 * and a repeated step (a redelivered trigger, two upstreams of a join
 * finishing at once) changes nothing the second time.
 */
import type { Clock } from "../clock.js";
import { executionId, type RunRef } from "../execution.js";
import type { WorkQueue } from "../ports/work-queue.js";
import type { NodeQueueing, WorkflowStore } from "../ports/workflow-store.js";
import { runMessageFor } from "../run-message.js";
import { ALL_TENANTS } from "../tenant.js";
import { advance } from "./graph.js";
import type { NodeRunStatus, Workflow, WorkflowNode, WorkflowRun } from "./workflow.js";

/** Root executions written in the run's creating transaction (DynamoDB allows 100 items). */
const ROOTS_IN_START = 99;

/** How a node's run ended, as the worker recorded it. */
export interface NodeOutcome {
  workflowId: string;
  jobId: string;
  scheduledMs: number;
  /** CANCELLED (the node's job was cancelled, e.g. by DeleteWorkflow) counts as FAILED. */
  status: "SUCCEEDED" | "FAILED" | "CANCELLED";
}

export interface WorkflowRuns {
  /** Starts the run of `workflowId` at `scheduledMs` (idempotent); false if the workflow is gone. */
  start(workflowId: string, scheduledMs: number): Promise<boolean>;
  /** Records a node's final outcome and queues, skips or ends what follows from it. */
  onNodeFinished(outcome: NodeOutcome): Promise<void>;
}

export function createWorkflowRuns(deps: {
  workflows: WorkflowStore;
  queue: WorkQueue;
  clock: Clock;
  /** A queued node run not started within this long is sent again by the recovery sweep. */
  startTimeoutMs: number;
  /** Logical partitions of jobs, for the node runs' partition. */
  partitionOf: (jobId: string) => number;
}): WorkflowRuns {
  const { workflows, queue, clock } = deps;

  /** A node's run, in the workflow's tenant (its node jobs are that tenant's). */
  function queueing(wf: Workflow, node: WorkflowNode, scheduledMs: number): NodeQueueing {
    const run: RunRef = {
      tenant: wf.tenant,
      jobId: node.jobId,
      partition: deps.partitionOf(node.jobId),
      scheduledMs,
      attempt: 1,
      manual: false,
    };
    return { key: node.key, run };
  }

  async function send(wf: Workflow, runs: NodeQueueing[]): Promise<void> {
    if (runs.length === 0) return;
    const byKey = new Map(wf.nodes.map((node) => [node.key, node]));
    // A failed send is healed by the recovery sweep (the executions are QUEUED with a recheck).
    await queue
      .send(
        runs.map((q) =>
          runMessageFor(q.run, { target: byKey.get(q.key)!.target, workflowId: wf.id }),
        ),
      )
      .catch(() => {});
  }

  async function queueReady(wf: Workflow, run: WorkflowRun, keys: string[]): Promise<void> {
    const now = clock.now();
    const won: NodeQueueing[] = [];
    for (const key of keys) {
      const node = wf.nodes.find((n) => n.key === key)!;
      const q = queueing(wf, node, run.scheduledMs);
      if (await workflows.queueNode(wf.id, run.scheduledMs, q, now, now + deps.startTimeoutMs)) {
        won.push(q);
      }
    }
    await send(wf, won);
  }

  return {
    async start(workflowId, scheduledMs) {
      // A system read: whatever it writes (the run, its node runs) is in the workflow's tenant.
      const wf = await workflows.getWorkflow(ALL_TENANTS, workflowId);
      if (wf?.status !== "ACTIVE") return false;
      const now = clock.now();
      const roots = wf.nodes.filter((n) => n.dependsOn.length === 0);
      const first = roots.slice(0, ROOTS_IN_START).map((n) => queueing(wf, n, scheduledMs));
      const firstKeys = new Set(first.map((q) => q.key));
      const run: WorkflowRun = {
        workflowId,
        tenant: wf.tenant,
        scheduledMs,
        status: "RUNNING",
        startedMs: now,
        nodes: wf.nodes.map((n) => {
          const q = first.find((f) => f.key === n.key);
          return q
            ? {
                key: n.key,
                jobId: n.jobId,
                status: "QUEUED",
                executionId: executionId(q.run),
                queuedMs: now,
              }
            : { key: n.key, jobId: n.jobId, status: "PENDING" };
        }),
      };
      if (await workflows.startRun(run, first, now + deps.startTimeoutMs)) {
        await send(wf, first);
        await queueReady(
          wf,
          run,
          roots.filter((r) => !firstKeys.has(r.key)).map((r) => r.key),
        );
        return true;
      }
      // Started before (a redelivered or re-queued trigger): finish what it may not have.
      const stored = await workflows.getRun(wf.tenant, workflowId, scheduledMs);
      if (stored) {
        const pendingRoots = roots
          .filter((r) => stored.nodes.find((n) => n.key === r.key)?.status === "PENDING")
          .map((r) => r.key);
        await queueReady(wf, stored, pendingRoots);
      }
      return true;
    },

    async onNodeFinished(outcome) {
      const wf = await workflows.getWorkflow(ALL_TENANTS, outcome.workflowId);
      const node = wf?.nodes.find((n) => n.jobId === outcome.jobId);
      if (!wf || !node) return;
      const status: NodeRunStatus = outcome.status === "SUCCEEDED" ? "SUCCEEDED" : "FAILED";
      let run = await workflows.setNodeStatus(
        wf.id,
        outcome.scheduledMs,
        node.key,
        status,
        clock.now(),
      );
      if (!run) return;
      const next = advance(wf.nodes, new Map(run.nodes.map((n) => [n.key, n.status])));
      for (const key of next.skipped) {
        run =
          (await workflows.setNodeStatus(wf.id, run.scheduledMs, key, "SKIPPED", clock.now())) ??
          run;
      }
      await queueReady(wf, run, next.ready);
      if (next.done) await workflows.finishRun(wf.id, run.scheduledMs, next.done, clock.now());
    },
  };
}
