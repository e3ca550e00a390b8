import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { startableStatuses } from "../../core/claim-rules.js";
import { unavailable } from "../../core/errors.js";
import {
  type Execution,
  type ExecutionWait,
  parseExecutionId,
  type RunRef,
} from "../../core/execution.js";
import type {
  ExecutionQuery,
  ExecutionStore,
  Outcome,
  StartOutcome,
} from "../../core/ports/execution-store.js";
import type { Page } from "../../core/ports/job-store.js";
import type { TenantScope } from "../../core/tenant.js";
import { batchGet, dynamo, failedConditions, fromPageToken, queryDeadlines } from "./calls.js";
import type { TableNames } from "./client.js";
import {
  baseItem,
  endUnstarted,
  heldUpdate,
  itemToExecution,
  runItemKey,
  runningPut,
} from "./execution-item.js";
import { executionsBetween } from "./execution-range.js";
import { createGroupCommit } from "./group-commit.js";
import { decodeToken, type Item, n, num, s, statusIn, str, toPage } from "./job-item.js";
import { ensureTables, REQUEUED_INDEX, tableKeys, WORKER_INDEX } from "./tables.js";
import { scopeClause, visible } from "./tenant.js";

export interface DynamoExecutionStoreOptions {
  client: DynamoDBClient;
  tables: TableNames;
  partitionCount: number;
}

/**
 * Executions in DynamoDB, one item per attempt (key job_id + run). Starting
 * one is a transaction: the job must still allow it (condition check) and no
 * record of the attempt may exist, so a redelivered message does nothing.
 */
export function createDynamoExecutionStore(options: DynamoExecutionStoreOptions): ExecutionStore {
  const { client } = options;
  const table = options.tables.executions;
  const jobs = options.tables.jobs;
  const commits = createGroupCommit({ client, keys: tableKeys(options.tables) });

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

  async function readItem(run: Pick<RunRef, "jobId" | "scheduledMs" | "attempt">) {
    const out = await dynamo(() =>
      client.send(
        new GetItemCommand({
          TableName: table,
          Key: runItemKey(run),
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item;
  }

  const store: ExecutionStore & {
    startExecution(
      run: RunRef,
      workerId: string,
      nowMs: number,
      queuedMs?: number,
      inherited?: { checkpoint?: Uint8Array },
      wait?: ExecutionWait,
      conflictRetries?: number,
    ): Promise<StartOutcome>;
  } = {
    async init() {
      await dynamo(() => ensureTables(client, options.tables, options.partitionCount));
    },

    async startExecution(
      run: RunRef,
      workerId: string,
      nowMs: number,
      queuedMs?: number,
      inherited?: { checkpoint?: Uint8Array },
      wait?: ExecutionWait,
      conflictRetries: number = 3,
    ): Promise<StartOutcome> {
      // A re-queued attempt carries its predecessor's checkpoint into the start.
      const checkpoint = run.attempt > 1 ? (await readItem(run))?.checkpoint : undefined;
      if (inherited && checkpoint?.B) inherited.checkpoint = checkpoint.B;
      const values: Item = {};
      const startable = statusIn("#st", startableStatuses(run), values, "a");
      // Starts of other runs share the transaction (see `group-commit.ts`).
      const refusal = await commits.write([
        {
          ConditionCheck: {
            TableName: jobs,
            Key: { id: s(run.jobId) },
            ConditionExpression: startable,
            ExpressionAttributeNames: { "#st": "st" },
            ExpressionAttributeValues: values,
          },
        },
        { Put: runningPut(table, run, workerId, nowMs, queuedMs, checkpoint, wait) },
      ]);
      if (!refusal) return "started";
      const [jobGone, exists] = refusal.map((code) => code === "ConditionalCheckFailed");
      if (exists) return "duplicate";
      if (jobGone) return "job_inactive";
      // Two starts of the same attempt at once can cancel each other
      // (TransactionConflict): try again, one of them will see the other.
      if (conflictRetries > 0 && refusal.includes("TransactionConflict")) {
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
        return store.startExecution(
          run,
          workerId,
          nowMs,
          queuedMs,
          inherited,
          wait,
          conflictRetries - 1,
        );
      }
      throw unavailable("DynamoDB", new Error(`start of ${run.jobId} refused: ${refusal}`));
    },

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
      try {
        await dynamo(() =>
          client.send(
            new UpdateItemCommand(
              heldUpdate(table, parsed, workerId, set.join(", "), values, names),
            ),
          ),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },

    async saveCheckpoint(id: string, workerId: string, data: Uint8Array) {
      const parsed = parseExecutionId(id);
      if (!parsed) return false;
      try {
        await dynamo(() =>
          client.send(
            new UpdateItemCommand(
              heldUpdate(
                table,
                parsed,
                workerId,
                "#cp = :cp",
                { ":cp": { B: data } },
                {
                  "#cp": "checkpoint",
                },
              ),
            ),
          ),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },

    async cancelExecution(run: RunRef, reason: string, nowMs: number) {
      await endUnstarted(client, table, run, "CANCELLED", reason, nowMs);
    },

    async getExecution(scope, id: string) {
      const parsed = parseExecutionId(id);
      if (!parsed) return undefined;
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({
            TableName: table,
            Key: runItemKey(parsed),
            ConsistentRead: true,
          }),
        ),
      );
      return visible(out.Item, scope) ? itemToExecution(out.Item) : undefined;
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

    async startedRuns(runs) {
      // One BatchGetItem for up to 100 runs, whichever jobs they belong to.
      const items = await batchGet(
        client,
        table,
        runs.map((r) => runItemKey({ ...r, attempt: 1 })),
        (item) => `${item.job_id?.S}/${item.run?.S}`,
        "job_id, run, sched_ms",
      );
      return new Set(items.map((item) => `${str(item, "job_id")}:${num(item, "sched_ms")}`));
    },
  };
  return store;
}
