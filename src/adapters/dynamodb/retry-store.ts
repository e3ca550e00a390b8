import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { failedPrecondition, notFound } from "../../core/errors.js";
import { type Execution, parseExecutionId, type RunRef } from "../../core/execution.js";
import type { Page } from "../../core/ports/job-store.js";
import type { DeadRunQuery, Failure, RetryStore } from "../../core/ports/retry-store.js";
import { conditionally, dynamo, failedConditions, fromPageToken, queryPages } from "./calls.js";
import type { TableNames } from "./client.js";
import { DEAD_INDEX, deadHash, deadKey } from "./dead-index.js";
import { baseItem, heldUpdate, itemToExecution, runItemKey, runKey } from "./execution-item.js";
import { type Item, n, s } from "./job-item.js";
import { visible } from "./tenant.js";

function nextOf(e: Execution): RunRef {
  return {
    tenant: e.tenant,
    jobId: e.jobId,
    partition: e.partition,
    scheduledMs: e.scheduledMs,
    attempt: e.attempt + 1,
    manual: e.manual,
  };
}

/**
 * Retries and the dead list in the executions table (see RetryStore). A dead
 * run carries `dead` and `dead_key`, the keys of the sparse dead index;
 * redrive and purge remove them, so the record stays in the history.
 */
export function createDynamoRetryStore(options: {
  client: DynamoDBClient;
  tables: TableNames;
}): RetryStore {
  const { client } = options;
  const table = options.tables.executions;

  async function read(tenant: string, id: string): Promise<Execution> {
    const parsed = parseExecutionId(id);
    if (!parsed) throw notFound(`execution ${id}`);
    const out = await dynamo(() =>
      client.send(
        new GetItemCommand({ TableName: table, Key: runItemKey(parsed), ConsistentRead: true }),
      ),
    );
    // Another tenant's execution answers as an unknown one.
    if (!visible(out.Item, tenant)) throw notFound(`execution ${id}`);
    const execution = itemToExecution(out.Item);
    if (out.Item.dead === undefined) {
      throw failedPrecondition(
        `execution ${id} is ${execution.status}, not on the dead list` +
          (execution.status === "DEAD" ? " (already redriven or purged)" : ""),
      );
    }
    return execution;
  }

  function listDead(tenant: string, query: DeadRunQuery): Promise<Page<Execution>> {
    // The query's hash is the tenant's, whatever the token: a token from
    // another tenant's listing cannot move the query into that tenant.
    const values: Item = { ":d": s(deadHash(tenant)) };
    let key = "dead = :d";
    if (query.jobId) {
      key += " AND begins_with(dead_key, :job)";
      values[":job"] = s(`${query.jobId}#`);
    }
    return queryPages(client, query, itemToExecution, (limit, startKey) => ({
      TableName: table,
      IndexName: DEAD_INDEX,
      KeyConditionExpression: key,
      ExpressionAttributeValues: values,
      ExclusiveStartKey: startKey,
      Limit: limit,
    }));
  }

  /** Runs a transaction; true when it applied, false when a condition failed. */
  async function transact(actions: ConstructorParameters<typeof TransactWriteItemsCommand>[0]) {
    try {
      await dynamo(() => client.send(new TransactWriteItemsCommand(actions)));
      return true;
    } catch (err) {
      if (err instanceof TransactionCanceledException && failedConditions(err).some(Boolean)) {
        return false;
      }
      throw err;
    }
  }

  return {
    async scheduleRetry(run, workerId, failure: Failure, due) {
      const next: RunRef = { ...run, attempt: run.attempt + 1 };
      // The next attempt resumes from this one's last checkpoint, as a re-queue does.
      const current = await dynamo(() =>
        client.send(
          new GetItemCommand({
            TableName: table,
            Key: runItemKey(run),
            ConsistentRead: true,
            ProjectionExpression: "checkpoint",
          }),
        ),
      );
      const checkpoint = current.Item?.checkpoint;
      const applied = await transact({
        TransactItems: [
          {
            Update: heldUpdate(
              table,
              run,
              workerId,
              "#st = :failed, ended = :ended, #error = :error, next_at = :due",
              {
                ":failed": s("FAILED"),
                ":ended": n(failure.endedMs),
                ":error": s(failure.error),
                ":due": n(due.dueMs),
              },
              { "#error": "error" },
            ),
          },
          {
            Put: {
              TableName: table,
              Item: {
                ...baseItem(next, "QUEUED"),
                requeue_at: n(due.recheckAtMs),
                ...(checkpoint ? { checkpoint } : {}),
              },
              ConditionExpression: "attribute_not_exists(job_id)",
            },
          },
        ],
      });
      return applied ? next : undefined;
    },

    async markDead(run, workerId, failure) {
      return conditionally(() =>
        client.send(
          new UpdateItemCommand(
            heldUpdate(
              table,
              run,
              workerId,
              "#st = :dead, ended = :ended, #error = :error, dead = :d, dead_key = :dk",
              {
                ":dead": s("DEAD"),
                ":ended": n(failure.endedMs),
                ":error": s(failure.error),
                ":d": s(deadHash(run.tenant)),
                ":dk": s(deadKey(run.jobId, runKey(run.scheduledMs, run.attempt))),
              },
              { "#error": "error" },
            ),
          ),
        ),
      );
    },

    getDead: read,

    listDead(tenant, query) {
      return fromPageToken(query.pageToken, () => listDead(tenant, query));
    },

    async redrive(tenant, id, recheckAtMs) {
      const dead = await read(tenant, id);
      const next = nextOf(dead);
      const applied = await transact({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: runItemKey(dead),
              UpdateExpression: "REMOVE dead, dead_key",
              ConditionExpression: "attribute_exists(dead)",
            },
          },
          {
            Put: {
              TableName: table,
              Item: { ...baseItem(next, "QUEUED"), requeue_at: n(recheckAtMs) },
              ConditionExpression: "attribute_not_exists(job_id)",
            },
          },
        ],
      });
      if (!applied) {
        throw failedPrecondition(
          `execution ${id} left the dead list meanwhile (redriven or purged)`,
        );
      }
      return next;
    },

    async purge(tenant, id) {
      const dead = await read(tenant, id);
      try {
        await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: runItemKey(dead),
              UpdateExpression: "REMOVE dead, dead_key",
              ConditionExpression: "attribute_exists(dead)",
            }),
          ),
        );
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        throw failedPrecondition(
          `execution ${id} left the dead list meanwhile (redriven or purged)`,
        );
      }
    },
  };
}
