import { alreadyExists } from "../../core/errors.js";
import { executionId } from "../../core/execution.js";
import type { WorkflowStore } from "../../core/ports/workflow-store.js";
import { inScope } from "../../core/tenant.js";
import { NODE_TERMINAL } from "../../core/workflow/workflow.js";
import { copy, type MemoryDb, pageOf } from "./memory-db.js";
import { recordQueued } from "./retry-store.js";

/**
 * Workflows and their runs in memory. A node moves PENDING → QUEUED only
 * once (two upstreams finishing together queue it once), and a final node
 * or run status is never overwritten, as in DynamoDB.
 */
export function createMemoryWorkflowStore(db: MemoryDb): WorkflowStore {
  const runKey = (workflowId: string, scheduledMs: number) => `${workflowId}:${scheduledMs}`;
  const run = (workflowId: string, scheduledMs: number) =>
    db.workflowRuns.get(runKey(workflowId, scheduledMs));

  return {
    async createWorkflow(workflow) {
      if (db.workflows.has(workflow.id)) throw alreadyExists(`workflow ${workflow.id}`);
      db.workflows.set(workflow.id, copy(workflow));
    },
    async getWorkflow(scope, id) {
      const found = db.workflows.get(id);
      return found && inScope(scope, found.tenant) ? copy(found) : undefined;
    },
    async listWorkflows(tenant, owner, pageSize, pageToken) {
      const found = [...db.workflows.values()]
        .filter((w) => w.tenant === tenant && w.owner === owner)
        .sort((a, b) => b.createdMs - a.createdMs);
      const page = pageOf(found, pageSize, pageToken);
      return { ...page, items: page.items.map(copy) };
    },
    async markDeleted(tenant, id) {
      const found = db.workflows.get(id);
      if (!found || found.tenant !== tenant) return undefined;
      found.status = "DELETED";
      return copy(found);
    },

    async startRun(workflowRun, roots, recheckAtMs) {
      const key = runKey(workflowRun.workflowId, workflowRun.scheduledMs);
      if (db.workflowRuns.has(key)) return false;
      const stored = copy(workflowRun);
      for (const root of roots) {
        const node = stored.nodes.find((n) => n.key === root.key);
        if (node) Object.assign(node, { status: "QUEUED", executionId: executionId(root.run) });
        recordQueued(db, root.run, recheckAtMs);
      }
      db.workflowRuns.set(key, stored);
      return true;
    },
    async getRun(scope, workflowId, scheduledMs) {
      const found = run(workflowId, scheduledMs);
      return found && inScope(scope, found.tenant) ? copy(found) : undefined;
    },
    async listRuns(tenant, workflowId, pageSize, pageToken) {
      const found = [...db.workflowRuns.values()]
        .filter((r) => r.workflowId === workflowId && r.tenant === tenant)
        .sort((a, b) => b.scheduledMs - a.scheduledMs);
      const page = pageOf(found, pageSize, pageToken);
      return { ...page, items: page.items.map(copy) };
    },
    async queueNode(workflowId, scheduledMs, queueing, nowMs, recheckAtMs) {
      const node = run(workflowId, scheduledMs)?.nodes.find((n) => n.key === queueing.key);
      if (node?.status !== "PENDING") return false;
      Object.assign(node, {
        status: "QUEUED",
        executionId: executionId(queueing.run),
        queuedMs: nowMs,
      });
      recordQueued(db, queueing.run, recheckAtMs);
      return true;
    },
    async setNodeStatus(workflowId, scheduledMs, key, status, nowMs) {
      const found = run(workflowId, scheduledMs);
      const node = found?.nodes.find((n) => n.key === key);
      if (node && !NODE_TERMINAL.includes(node.status)) {
        node.status = status;
        if (NODE_TERMINAL.includes(status)) node.endedMs = nowMs;
      }
      return found && copy(found);
    },
    async finishRun(workflowId, scheduledMs, status, nowMs) {
      const found = run(workflowId, scheduledMs);
      if (found?.status !== "RUNNING") return;
      found.status = status;
      found.endedMs = nowMs;
    },
  };
}
