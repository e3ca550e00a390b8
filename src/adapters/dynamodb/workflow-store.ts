import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { alreadyExists } from "../../core/errors.js";
import { executionId } from "../../core/execution.js";
import type { JobTarget, Schedule } from "../../core/job.js";
import type { NodeQueueing, WorkflowStore } from "../../core/ports/workflow-store.js";
import { ALL_TENANTS, type TenantScope, tenantOrDefault } from "../../core/tenant.js";
import type {
  NodeRun,
  NodeRunStatus,
  Workflow,
  WorkflowRun,
  WorkflowRunStatus,
  WorkflowStatus,
} from "../../core/workflow/workflow.js";
import { dynamo, failedConditions, fromPageToken, queryPages } from "./calls.js";
import type { TableNames } from "./client.js";
import { baseItem } from "./execution-item.js";
import { type Item, n, num, s, str } from "./job-item.js";
import { OWNER_INDEX } from "./tables.js";
import { TENANT_ATTR, tenantClause, tenantItem, visible } from "./tenant.js";

/*
 * Workflow item (table `workflows`, key id): tenant, name, owner, tags (L),
 * sched and nodes (JSON), st, trigger, created.
 * Run item (table `workflow_runs`, key wf + run_ms): tenant, st, started, ended, and
 * nodes, a map from node key to { job, st, exec, queued, ended }, so that one
 * conditional update moves one node and returns the whole run.
 */

const FINAL: NodeRunStatus[] = ["SUCCEEDED", "FAILED", "SKIPPED"];

function workflowToItem(wf: Workflow): Item {
  return {
    id: s(wf.id),
    ...tenantItem(wf.tenant),
    name: s(wf.name),
    owner: s(wf.owner),
    tags: { L: wf.tags.map(s) },
    sched: s(JSON.stringify(wf.schedule)),
    nodes: s(JSON.stringify(wf.nodes)),
    st: s(wf.status),
    trigger: s(wf.triggerJobId),
    created: n(wf.createdMs),
  };
}

function itemToWorkflow(item: Item): Workflow {
  return {
    id: str(item, "id")!,
    tenant: tenantOrDefault(str(item, TENANT_ATTR)),
    name: str(item, "name") ?? "",
    owner: str(item, "owner") ?? "",
    tags: (item.tags?.L ?? []).map((t) => t.S ?? ""),
    schedule: JSON.parse(str(item, "sched")!) as Schedule,
    nodes: JSON.parse(str(item, "nodes")!) as Array<{
      key: string;
      name: string;
      target: JobTarget;
      dependsOn: string[];
      jobId: string;
    }>,
    status: str(item, "st") as WorkflowStatus,
    triggerJobId: str(item, "trigger")!,
    createdMs: num(item, "created")!,
  };
}

function nodeToItem(node: NodeRun): Item {
  const m: Item = { job: s(node.jobId), st: s(node.status) };
  if (node.executionId) m.exec = s(node.executionId);
  if (node.queuedMs !== undefined) m.queued = n(node.queuedMs);
  if (node.endedMs !== undefined) m.ended = n(node.endedMs);
  return m;
}

function runToItem(run: WorkflowRun): Item {
  return {
    wf: s(run.workflowId),
    run_ms: n(run.scheduledMs),
    ...tenantItem(run.tenant),
    st: s(run.status),
    started: n(run.startedMs),
    order: { L: run.nodes.map((node) => s(node.key)) },
    nodes: { M: Object.fromEntries(run.nodes.map((node) => [node.key, { M: nodeToItem(node) }])) },
  };
}

function itemToRun(item: Item): WorkflowRun {
  const nodes = item.nodes?.M ?? {};
  const run: WorkflowRun = {
    workflowId: str(item, "wf")!,
    tenant: tenantOrDefault(str(item, TENANT_ATTR)),
    scheduledMs: num(item, "run_ms")!,
    status: str(item, "st") as WorkflowRunStatus,
    startedMs: num(item, "started")!,
    nodes: (item.order?.L ?? []).map((k) => {
      const m = nodes[k.S!]?.M ?? {};
      const node: NodeRun = {
        key: k.S!,
        jobId: str(m, "job")!,
        status: str(m, "st") as NodeRunStatus,
      };
      const exec = str(m, "exec");
      if (exec) node.executionId = exec;
      const queued = num(m, "queued");
      if (queued !== undefined) node.queuedMs = queued;
      const ended = num(m, "ended");
      if (ended !== undefined) node.endedMs = ended;
      return node;
    }),
  };
  const ended = num(item, "ended");
  if (ended !== undefined) run.endedMs = ended;
  return run;
}

export function createDynamoWorkflowStore(options: {
  client: DynamoDBClient;
  tables: TableNames;
}): WorkflowStore {
  const { client } = options;
  const { workflows, workflowRuns: runs, executions } = options.tables;
  const runKey = (wf: string, ms: number) => ({ wf: s(wf), run_ms: n(ms) });

  /** The Put of a node's QUEUED execution; the recovery sweep resends it after `recheckAtMs`. */
  function queuedPut(node: NodeQueueing, nowMs: number, recheckAtMs: number): TransactWriteItem {
    return {
      Put: {
        TableName: executions,
        Item: { ...baseItem(node.run, "QUEUED"), queued: n(nowMs), requeue_at: n(recheckAtMs) },
        ConditionExpression: "attribute_not_exists(job_id)",
      },
    };
  }

  async function getRun(scope: TenantScope, workflowId: string, scheduledMs: number) {
    const out = await dynamo(() =>
      client.send(
        new GetItemCommand({
          TableName: runs,
          Key: runKey(workflowId, scheduledMs),
          ConsistentRead: true,
        }),
      ),
    );
    return visible(out.Item, scope) ? itemToRun(out.Item) : undefined;
  }

  return {
    async createWorkflow(wf) {
      try {
        await dynamo(() =>
          client.send(
            new PutItemCommand({
              TableName: workflows,
              Item: workflowToItem(wf),
              ConditionExpression: "attribute_not_exists(id)",
            }),
          ),
        );
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException)
          throw alreadyExists(`workflow ${wf.id}`);
        throw err;
      }
    },

    async getWorkflow(scope, id) {
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({ TableName: workflows, Key: { id: s(id) }, ConsistentRead: true }),
        ),
      );
      return visible(out.Item, scope) ? itemToWorkflow(out.Item) : undefined;
    },

    listWorkflows(tenant, owner, pageSize, pageToken) {
      const names: Record<string, string> = { "#o": "owner" };
      const values: Item = { ":o": s(owner) };
      const filter = tenantClause(tenant, names, values);
      // Filtered to the tenant on every query, so a page may come back short
      // with a token; a token is only a position in the owner's index.
      return fromPageToken(pageToken, () =>
        queryPages(client, { pageSize, pageToken }, itemToWorkflow, (limit, startKey) => ({
          TableName: workflows,
          IndexName: OWNER_INDEX,
          KeyConditionExpression: "#o = :o",
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: startKey,
        })),
      );
    },

    async markDeleted(tenant, id) {
      const names: Record<string, string> = { "#st": "st" };
      const values: Item = { ":d": s("DELETED") };
      const inTenant = tenantClause(tenant, names, values);
      try {
        const out = await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: workflows,
              Key: { id: s(id) },
              UpdateExpression: "SET #st = :d",
              ConditionExpression: `attribute_exists(id) AND ${inTenant}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValues: "ALL_NEW",
            }),
          ),
        );
        return out.Attributes ? itemToWorkflow(out.Attributes) : undefined;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return undefined;
        throw err;
      }
    },

    async startRun(run, roots, recheckAtMs) {
      try {
        await dynamo(() =>
          client.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: runs,
                    Item: runToItem(run),
                    ConditionExpression: "attribute_not_exists(wf)",
                  },
                },
                ...roots.map((root) => queuedPut(root, run.startedMs, recheckAtMs)),
              ],
            }),
          ),
        );
        return true;
      } catch (err) {
        if (err instanceof TransactionCanceledException && failedConditions(err)[0]) return false;
        throw err;
      }
    },

    getRun,

    listRuns(tenant, workflowId, pageSize, pageToken) {
      const names: Record<string, string> = {};
      const values: Item = { ":wf": s(workflowId) };
      const filter = tenantClause(tenant, names, values);
      return fromPageToken(pageToken, () =>
        queryPages(client, { pageSize, pageToken }, itemToRun, (limit, startKey) => ({
          TableName: runs,
          KeyConditionExpression: "wf = :wf",
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: limit,
          ExclusiveStartKey: startKey,
        })),
      );
    },

    async queueNode(workflowId, scheduledMs, node, nowMs, recheckAtMs) {
      try {
        await dynamo(() =>
          client.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: runs,
                    Key: runKey(workflowId, scheduledMs),
                    UpdateExpression:
                      "SET #n.#k.#st = :queued, #n.#k.#exec = :exec, #n.#k.queued = :now",
                    ConditionExpression: "#n.#k.#st = :pending",
                    ExpressionAttributeNames: {
                      "#n": "nodes",
                      "#k": node.key,
                      "#st": "st",
                      "#exec": "exec",
                    },
                    ExpressionAttributeValues: {
                      ":queued": s("QUEUED"),
                      ":pending": s("PENDING"),
                      ":exec": s(executionId(node.run)),
                      ":now": n(nowMs),
                    },
                  },
                },
                queuedPut(node, nowMs, recheckAtMs),
              ],
            }),
          ),
        );
        return true;
      } catch (err) {
        if (err instanceof TransactionCanceledException && failedConditions(err).some(Boolean)) {
          return false;
        }
        throw err;
      }
    },

    async setNodeStatus(workflowId, scheduledMs, key, status, nowMs) {
      try {
        const out = await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: runs,
              Key: runKey(workflowId, scheduledMs),
              UpdateExpression: "SET #n.#k.#st = :st, #n.#k.ended = :now",
              ConditionExpression: "attribute_exists(#n.#k) AND NOT #n.#k.#st IN (:f0, :f1, :f2)",
              ExpressionAttributeNames: { "#n": "nodes", "#k": key, "#st": "st" },
              ExpressionAttributeValues: {
                ":st": s(status),
                ":now": n(nowMs),
                ":f0": s(FINAL[0]!),
                ":f1": s(FINAL[1]!),
                ":f2": s(FINAL[2]!),
              },
              ReturnValues: "ALL_NEW",
            }),
          ),
        );
        return out.Attributes ? itemToRun(out.Attributes) : undefined;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) {
          return getRun(ALL_TENANTS, workflowId, scheduledMs);
        }
        throw err;
      }
    },

    async finishRun(workflowId, scheduledMs, status, nowMs) {
      try {
        await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: runs,
              Key: runKey(workflowId, scheduledMs),
              UpdateExpression: "SET #st = :st, ended = :now",
              ConditionExpression: "#st = :running",
              ExpressionAttributeNames: { "#st": "st" },
              ExpressionAttributeValues: {
                ":st": s(status),
                ":now": n(nowMs),
                ":running": s("RUNNING"),
              },
            }),
          ),
        );
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    },
  };
}
