import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type Update,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { type Execution, parseExecutionId, type RunRef } from "../../core/execution.js";
import type { ExecutionQuery, ExecutionStore, Outcome } from "../../core/ports/execution-store.js";
import type { Page } from "../../core/ports/job-store.js";
import type { TenantScope } from "../../core/tenant.js";
import {
  batchGet,
  conditionally,
  dynamo,
  failedConditions,
  fromPageToken,
  queryDeadlines,
} from "./calls.js";
import type { TableNames } from "./client.js";
import {
  baseItem,
  endUnstarted,
  heldUpdate,
  itemToExecution,
  runItemKey,
} from "./execution-item.js";
import { executionsBetween } from "./execution-range.js";
import { readExecutionItem, startExecution } from "./execution-start.js";
import { decodeToken, type Item, n, num, s, str, toPage } from "./job-item.js";
import { ensureTables, REQUEUED_INDEX, WORKER_INDEX } from "./tables.js";
import { scopeClause, visible } from "./tenant.js";

export interface DynamoExecutionStoreOptions {
  client: DynamoDBClient;
  tables: TableNames;
  partitionCount: number;
}

/**
 * Executions in DynamoDB, one item per attempt (key job_id + run). Starting
 * one is a plain conditional Put (no record of the attempt may exist, so a
 * redelivered message does nothing); only a run outside its job's claim
 * record is then checked by a strongly consistent read of the job's status
 * (see `startExecution`): no transaction.
 */
export function createDynamoExecutionStore(options: DynamoExecutionStoreOptions): ExecutionStore {
  const { client } = options;
  const table = options.tables.executions;
  const jobs = options.tables.jobs;

  /** A write of an attempt the worker holds; false when it no longer does. */
  function writeHeld(update: Update): Promise<boolean> {
    return conditionally(() => client.send(new UpdateItemCommand(update)));
  }

  async function listExecutions(
    scope: TenantScope,
    query: ExecutionQuery,
  ): Promise<Page<Execution>> {
    const items: Execution[] = [];
    let startKey = decodeToken(query.pageToken);
    do {
      const names: Record<string, string> = {};
      const values: Item = {};
      let key: string;
      if (query.jobId) {
        key = "job_id = :job";
        values[":job"] = s(query.jobId);
      } else {
        key = "#w = :w";
        names["#w"] = "worker";
        values[":w"] = s(query.workerId ?? "");
      }
      const filters: string[] = [];
      if (query.status) {
        filters.push("#st = :st");
        names["#st"] = "st";
        values[":st"] = s(query.status);
      }
      const tenant = scopeClause(scope, names, values);
      if (tenant) filters.push(tenant);
      const filter = filters.length ? filters.join(" AND ") : undefined;
      // The worker index holds keys only: read the items, then filter here.
      const byWorker = !query.jobId;
      const out = await dynamo(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            ...(byWorker ? { IndexName: WORKER_INDEX } : {}),
            KeyConditionExpression: key,
            ...(filter && !byWorker ? { FilterExpression: filter } : {}),
            ...(Object.keys(names).length
              ? {
                  ExpressionAttributeNames: byWorker ? { "#w": "worker" } : names,
                }
              : {}),
            ExpressionAttributeValues: byWorker ? { ":w": values[":w"]! } : values,
            ScanIndexForward: false,
            ExclusiveStartKey: startKey,
            Limit: query.pageSize - items.length,
          }),
        ),
      );
      const found = byWorker
        ? await batchGet(
            client,
            table,
            (out.Items ?? []).map((k) => ({ job_id: k.job_id!, run: k.run! })),
            (item) => `${item.job_id?.S}/${item.run?.S}`,
          )
        : (out.Items ?? []);
      for (const item of found) {
        // A token is only a position: every page is filtered to the scope.
        if (!visible(item, scope)) continue;
        const execution = itemToExecution(item);
        if (byWorker && query.status && execution.status !== query.status) continue;
        items.push(execution);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < query.pageSize);
    return toPage(items, startKey);
  }

  const readItem = (run: Pick<RunRef, "jobId" | "scheduledMs" | "attempt">) =>
    readExecutionItem(client, table, run);

  const store: ExecutionStore = {
    async init() {
      await dynamo(() => ensureTables(client, options.tables, options.partitionCount));
    },

    startExecution: (run, workerId, nowMs, startOptions) =>
      startExecution({ client, table, jobs }, run, workerId, nowMs, startOptions),

    async finishExecution(id: string, workerId: string, outcome: Outcome) {
      const parsed = parseExecutionId(id);
      if (!parsed) return false;
      const names: Record<string, string> = {};
      const values: Item = { ":st": s(outcome.status), ":ended": n(outcome.endedMs) };
      const set = ["#st = :st", "ended = :ended"];
      if (outcome.result !== undefined) {
        set.push("#result = :result");
        names["#result"] = "result";
        values[":result"] = s(outcome.result);
      }
      if (outcome.error !== undefined) {
        set.push("#error = :error");
        names["#error"] = "error";
        values[":error"] = s(outcome.error);
      }
      return writeHeld(heldUpdate(table, parsed, workerId, set.join(", "), values, names));
    },

    async saveCheckpoint(id: string, workerId: string, data: Uint8Array) {
      const parsed = parseExecutionId(id);
      if (!parsed) return false;
      const values = { ":cp": { B: data } };
      return writeHeld(
        heldUpdate(table, parsed, workerId, "#cp = :cp", values, { "#cp": "checkpoint" }),
      );
    },

    async cancelExecution(run: RunRef, reason: string, nowMs: number) {
      await endUnstarted(client, table, run, "CANCELLED", reason, nowMs);
    },

    async getExecution(scope, id: string) {
      const parsed = parseExecutionId(id);
      if (!parsed) return undefined;
      const item = await readItem(parsed);
      return visible(item, scope) ? itemToExecution(item) : undefined;
    },

    executionsBetween: (scope, jobId, fromMs, toMs, limit) =>
      executionsBetween(client, table, { scope, jobId, fromMs, toMs, limit }),

    listExecutions(scope, query: ExecutionQuery): Promise<Page<Execution>> {
      return fromPageToken(query.pageToken, () => listExecutions(scope, query));
    },

    async requeue(execution, reason, nowMs, recheckAtMs) {
      const next: RunRef = {
        tenant: execution.tenant,
        jobId: execution.jobId,
        partition: execution.partition,
        scheduledMs: execution.scheduledMs,
        attempt: execution.attempt + 1,
        manual: execution.manual,
        // A backfill's run stays its backfill's (counted by it, out of lateness figures).
        ...(execution.backfillId ? { backfillId: execution.backfillId } : {}),
      };
      const old = await readItem(execution);
      try {
        await dynamo(() =>
          client.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                {
                  Update: heldUpdate(
                    table,
                    execution,
                    execution.workerId ?? "",
                    "#st = :failed, ended = :now, #error = :reason",
                    { ":failed": s("FAILED"), ":now": n(nowMs), ":reason": s(reason) },
                    { "#error": "error" },
                  ),
                },
                {
                  Put: {
                    TableName: table,
                    Item: {
                      ...baseItem(next, "QUEUED"),
                      requeue_at: n(recheckAtMs),
                      ...(old?.checkpoint ? { checkpoint: old.checkpoint } : {}),
                    },
                    ConditionExpression: "attribute_not_exists(job_id)",
                  },
                },
              ],
            }),
          ),
        );
        return next;
      } catch (err) {
        if (err instanceof TransactionCanceledException && failedConditions(err).some(Boolean)) {
          return undefined;
        }
        throw err;
      }
    },

    async queuedAttempts(partition, fromMs, toMs, limit, pageToken) {
      const out = await queryDeadlines(
        client,
        { table, index: REQUEUED_INDEX, rangeAttr: "requeue_at" },
        { partition, fromMs, toMs, limit, startKey: decodeToken(pageToken) },
      );
      const full = await batchGet(
        client,
        table,
        (out.Items ?? []).map((k) => ({ job_id: k.job_id!, run: k.run! })),
        (item) => `${item.job_id?.S}/${item.run?.S}`,
      );
      const items = full
        .filter((item) => str(item, "st") === "QUEUED")
        .map((item) => {
          const e = itemToExecution(item);
          return {
            run: {
              tenant: e.tenant,
              jobId: e.jobId,
              partition: e.partition,
              scheduledMs: e.scheduledMs,
              attempt: e.attempt,
              manual: e.manual,
            },
            requeueAtMs: num(item, "requeue_at")!,
          };
        });
      return toPage(items, out.LastEvaluatedKey);
    },

    async deferQueued(run, recheckAtMs) {
      try {
        await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: runItemKey(run),
              UpdateExpression: "SET requeue_at = :at",
              ConditionExpression: "#st = :queued",
              ExpressionAttributeNames: { "#st": "st" },
              ExpressionAttributeValues: { ":at": n(recheckAtMs), ":queued": s("QUEUED") },
            }),
          ),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },

    async startedRuns(runs, options) {
      // One BatchGetItem for up to 100 runs, whichever jobs they belong to.
      const items = await batchGet(
        client,
        table,
        runs.map((r) => runItemKey({ ...r, attempt: 1 })),
        (item) => `${item.job_id?.S}/${item.run?.S}`,
        "job_id, run, sched_ms",
        undefined,
        options?.consistent ?? true,
      );
      return new Set(items.map((item) => `${str(item, "job_id")}:${num(item, "sched_ms")}`));
    },
  };
  return store;
}
