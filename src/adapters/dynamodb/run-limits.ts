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
import { canStart, startableStatuses } from "../../core/claim-rules.js";
import { executionId, parseExecutionId } from "../../core/execution.js";
import type { JobStatus } from "../../core/job.js";
import type { LimitSnapshot, RunLimits } from "../../core/ports/run-limits.js";
import { batchGet, dynamo, failedConditions, readJobState } from "./calls.js";
import type { TableNames } from "./client.js";
import { baseItem, endUnstarted, runItemKey, runningPut } from "./execution-item.js";
import { type Item, n, num, s, statusIn, str } from "./job-item.js";

/**
 * Job limits in DynamoDB. The counters sit on the job item: `running` (SS of
 * execution ids), `buffered` (S, the run BUFFER_ONE keeps waiting), `rate_w`
 * and `rate_n` (the current rate window and its count), `lseq` (N, bumped by
 * every change to them; each change is conditional on the value read).
 * Runs that end leave `running` lazily: the next read finds their records no
 * longer RUNNING and the next write drops them, so that ending a run (and a
 * lost worker's re-queue) costs no write on the job.
 */
export function createDynamoRunLimits(options: {
  client: DynamoDBClient;
  tables: TableNames;
}): RunLimits {
  const { client } = options;
  const jobsTable = options.tables.jobs;
  const execTable = options.tables.executions;

  function execKey(id: string): Item | undefined {
    const p = parseExecutionId(id);
    return p ? runItemKey(p) : undefined;
  }

  /** Condition on the sequence number read: the counters did not change since. */
  function seqCondition(seen: LimitSnapshot, values: Item): string {
    if (seen.seq === 0) return "attribute_not_exists(lseq)";
    values[":seen"] = n(seen.seq);
    return "lseq = :seen";
  }

  /** SET/REMOVE clauses writing `running` and `buffered` as given, and the next sequence number. */
  function counters(
    seen: LimitSnapshot,
    running: string[],
    buffered: string | undefined,
    values: Item,
  ): { set: string[]; remove: string[] } {
    const set = ["lseq = :next"];
    const remove: string[] = [];
    values[":next"] = n(seen.seq + 1);
    if (running.length) {
      set.push("running = :running");
      values[":running"] = { SS: running };
    } else remove.push("running");
    if (buffered) {
      set.push("buffered = :buffered");
      values[":buffered"] = s(buffered);
    } else remove.push("buffered");
    return { set, remove };
  }

  function expression(c: { set: string[]; remove: string[] }): string {
    return `SET ${c.set.join(", ")}${c.remove.length ? ` REMOVE ${c.remove.join(", ")}` : ""}`;
  }

  const limits: RunLimits = {
    async read(jobId) {
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({
            TableName: jobsTable,
            Key: { id: s(jobId) },
            ConsistentRead: true,
            ProjectionExpression: "st, running, buffered, rate_w, rate_n, lseq, cfl",
          }),
        ),
      );
      const item = out.Item;
      if (!item) return undefined;
      const running = item.running?.SS ?? [];
      const buffered = str(item, "buffered");
      const ids = buffered ? [...running, buffered] : running;
      const keys = ids.map(execKey).filter((k): k is Item => k !== undefined);
      const records = await batchGet(
        client,
        execTable,
        keys,
        (i) => `${i.job_id?.S}/${i.run?.S}`,
        "job_id, run, st, sched_ms, attempt",
      );
      const status = new Map<string, string | undefined>();
      for (const r of records) {
        const id = executionId({
          jobId: str(r, "job_id")!,
          scheduledMs: num(r, "sched_ms")!,
          attempt: num(r, "attempt")!,
        });
        status.set(id, str(r, "st"));
      }
      const rateWindow = num(item, "rate_w");
      const rateCount = num(item, "rate_n");
      return {
        status: str(item, "st") as JobStatus,
        seq: num(item, "lseq") ?? 0,
        failing: item.cfl !== undefined,
        state: {
          running: running.filter((id) => status.get(id) === "RUNNING"),
          ...(buffered && status.get(buffered) === "QUEUED" ? { buffered } : {}),
          ...(rateWindow !== undefined ? { rateWindow } : {}),
          ...(rateCount !== undefined ? { rateCount } : {}),
        },
      };
    },

    async start(run, workerId, nowMs, queuedMs, seen, rate, inherited, wait) {
      const id = executionId(run);
      const now = seen.state;
      const values: Item = {};
      const startable = statusIn("#st", startableStatuses(run), values, "a");
      const c = counters(
        seen,
        [...now.running.filter((r) => r !== id), id],
        now.buffered === id ? undefined : now.buffered,
        values,
      );
      if (rate.window !== undefined) {
        c.set.push("rate_w = :rw", "rate_n = :rn");
        values[":rw"] = n(rate.window);
        values[":rn"] = n(rate.count ?? 1);
      }
      const condition = `${startable} AND ${seqCondition(seen, values)}`;
      const previous =
        run.attempt > 1
          ? (
              await dynamo(() =>
                client.send(
                  new GetItemCommand({
                    TableName: execTable,
                    Key: execKey(id)!,
                    ConsistentRead: true,
                    ProjectionExpression: "checkpoint",
                  }),
                ),
              )
            ).Item
          : undefined;
      const items: TransactWriteItem[] = [
        {
          Update: {
            TableName: jobsTable,
            Key: { id: s(run.jobId) },
            UpdateExpression: expression(c),
            ConditionExpression: condition,
            ExpressionAttributeNames: { "#st": "st" },
            ExpressionAttributeValues: values,
          },
        },
        {
          Put: runningPut(execTable, run, workerId, nowMs, queuedMs, previous?.checkpoint, wait),
        },
      ];
      try {
        await dynamo(() => client.send(new TransactWriteItemsCommand({ TransactItems: items })));
        if (inherited && previous?.checkpoint?.B) inherited.checkpoint = previous.checkpoint.B;
        if (inherited && seen.failing !== undefined) inherited.failing = seen.failing;
        return "started";
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const [jobFailed, exists] = failedConditions(err);
        if (exists) return "duplicate";
        if (jobFailed) {
          const job = await readJobState(client, jobsTable, run.jobId);
          if (job === undefined || !canStart(job.status, run)) return "job_inactive";
        }
        return "conflict";
      }
    },

    async wait(run, reason, recheckAtMs, seen, buffer) {
      const put = {
        TableName: execTable,
        Item: { ...baseItem(run, "QUEUED"), requeue_at: n(recheckAtMs), error: s(reason) },
        ConditionExpression: "attribute_not_exists(job_id) OR #st = :queued",
        ExpressionAttributeNames: { "#st": "st" },
        ExpressionAttributeValues: { ":queued": s("QUEUED") },
      };
      if (!buffer) {
        try {
          await dynamo(() => client.send(new PutItemCommand(put)));
          return "waiting";
        } catch (err) {
          if (err instanceof ConditionalCheckFailedException) return "duplicate";
          throw err;
        }
      }
      const values: Item = {};
      const c = counters(seen, seen.state.running, executionId(run), values);
      const condition = seqCondition(seen, values);
      try {
        await dynamo(() =>
          client.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: jobsTable,
                    Key: { id: s(run.jobId) },
                    UpdateExpression: expression(c),
                    ConditionExpression: condition,
                    ExpressionAttributeValues: values,
                  },
                },
                { Put: put },
              ],
            }),
          ),
        );
        return "waiting";
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const [, exists] = failedConditions(err);
        return exists ? "duplicate" : "conflict";
      }
    },

    skip(run, reason, nowMs) {
      return endUnstarted(client, execTable, run, "SKIPPED", reason, nowMs);
    },

    async requestCancel(ids, reason) {
      for (const id of ids) {
        const key = execKey(id);
        if (!key) continue;
        try {
          await dynamo(() =>
            client.send(
              new UpdateItemCommand({
                TableName: execTable,
                Key: key,
                UpdateExpression: "SET cancel_req = :reason",
                ConditionExpression: "#st = :running",
                ExpressionAttributeNames: { "#st": "st" },
                ExpressionAttributeValues: { ":reason": s(reason), ":running": s("RUNNING") },
              }),
            ),
          );
        } catch (err) {
          if (!(err instanceof ConditionalCheckFailedException)) throw err;
        }
      }
    },

    async cancelRequested(id) {
      const key = execKey(id);
      if (!key) return undefined;
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({
            TableName: execTable,
            Key: key,
            ConsistentRead: true,
            ProjectionExpression: "cancel_req",
          }),
        ),
      );
      return out.Item ? str(out.Item, "cancel_req") : undefined;
    },
  };
  return limits;
}
