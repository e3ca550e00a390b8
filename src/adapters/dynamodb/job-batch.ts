/**
 * The bulk side of the jobs table (`JobBatchStore`): key claims by
 * conditional PutItem (the same record CreateJob writes in its transaction),
 * slots taken many at a time from the tenant's counter, and the jobs
 * themselves by BatchWriteItem in the item layout of a single create.
 */

import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { systemClock } from "../../core/clock.js";
import { unavailable } from "../../core/errors.js";
import type { Job } from "../../core/job.js";
import type { JobBatchStore, KeyHolder } from "../../core/ports/job-batch-store.js";
import { type RetrySchedule, retry } from "../../core/retry.js";
import { activeUntil } from "../../core/tenant-quota.js";
import { QUOTA_ATTRS, quotaKey, slotItem } from "./active-slots.js";
import { batchPut } from "./batch-write.js";
import { batchGet, dynamo } from "./calls.js";
import { claimPut, idempotencyId } from "./idempotency.js";
import { type Item, jobToItem, n, num, s, str } from "./job-item.js";
import { visible } from "./tenant.js";

/** Conditional writes in flight at once (key claims). */
const CLAIM_CONCURRENCY = 32;
/**
 * Reads and conditional updates of the tenant's counter while concurrent
 * batches move it: twenty tries, no pause (the batch that moved it has
 * written, so the next read sees the move).
 */
const SLOT_RETRIES: RetrySchedule = { attempts: 20, baseMs: 0, maxMs: 0 };

/** Runs `fn` on every element, `limit` at a time; results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

export function createJobBatchStore(
  client: DynamoDBClient,
  tables: { jobs: string; tenants: string },
): JobBatchStore {
  const table = tables.jobs;

  async function claim(record: Parameters<typeof claimPut>[1], jobId: string, nowMs: number) {
    try {
      await dynamo(() =>
        client.send(
          new PutItemCommand({
            ...claimPut(table, record, jobId, nowMs),
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      return undefined;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const old = err.Item as Item | undefined;
      if (!old) throw unavailable("DynamoDB", err);
      const holder: KeyHolder = {
        jobId: str(old, "job_id") ?? "",
        requestHash: str(old, "rhash") ?? "",
        expiresMs: num(old, "exp_ms") ?? 0,
      };
      return holder;
    }
  }

  /** Adds `:d` to the tenant's count of taken slots, under `condition` if given. */
  async function addActive(tenant: string, values: Item, condition?: string): Promise<void> {
    await dynamo(() =>
      client.send(
        new UpdateItemCommand({
          TableName: tables.tenants,
          Key: quotaKey(tenant),
          UpdateExpression: "ADD active :d",
          ExpressionAttributeValues: values,
          ...(condition ? { ConditionExpression: condition } : {}),
        }),
      ),
    );
  }

  return {
    claimKeys: (claims, nowMs) =>
      mapLimit(claims, CLAIM_CONCURRENCY, (c) => claim(c.record, c.jobId, nowMs)),

    async releaseKeys(claims) {
      await mapLimit(claims, CLAIM_CONCURRENCY, async ({ record, jobId }) => {
        try {
          await dynamo(() =>
            client.send(
              new DeleteItemCommand({
                TableName: table,
                Key: { id: s(idempotencyId(record.tenant, record.owner, record.key)) },
                ConditionExpression: "job_id = :j",
                ExpressionAttributeValues: { ":j": s(jobId) },
              }),
            ),
          );
        } catch (err) {
          // Another job's now: not ours to give back.
          if (!(err instanceof ConditionalCheckFailedException)) throw err;
        }
      });
    },

    async missingJobs(tenant, ids) {
      const found = await batchGet(
        client,
        table,
        ids.map((id) => ({ id: s(id) })),
        (item) => item.id?.S ?? "",
        "id, tenant",
      );
      const present = new Set(found.filter((i) => visible(i, tenant)).map((i) => i.id!.S!));
      return new Set(ids.filter((id) => !present.has(id)));
    },

    async takeSlots(tenant, count, defaultLimit) {
      const once = async () => {
        const out = await dynamo(() =>
          client.send(
            new GetItemCommand({
              TableName: tables.tenants,
              Key: quotaKey(tenant),
              ConsistentRead: true,
            }),
          ),
        );
        const item = out.Item ?? {};
        const use = num(item, "active") ?? 0;
        const own = num(item, QUOTA_ATTRS.maxActiveSchedules);
        const limit = own ?? defaultLimit;
        const granted = limit === 0 ? count : Math.max(0, Math.min(count, limit - use));
        if (granted === 0) return { granted, use, limit };
        // The quota as read must still hold, and the counter leave room for all of them.
        const values: Item = { ":d": n(granted) };
        const conditions: string[] = [];
        if (own === undefined) {
          conditions.push(`attribute_not_exists(${QUOTA_ATTRS.maxActiveSchedules})`);
        } else {
          values[":q"] = n(own);
          conditions.push(`${QUOTA_ATTRS.maxActiveSchedules} = :q`);
        }
        if (limit > 0) {
          values[":max"] = n(limit - granted);
          conditions.push("(attribute_not_exists(active) OR active <= :max)");
        }
        await addActive(tenant, values, conditions.join(" AND "));
        return { granted, use: use + granted, limit };
      };
      // Thrown on: the counter or the quota moved since the read.
      return retry(SLOT_RETRIES, once, systemClock, {
        retryable: (err) => err instanceof ConditionalCheckFailedException,
      }).catch((err: unknown) => {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        throw unavailable("DynamoDB", new Error(`tenant ${tenant}: slot counter kept changing`));
      });
    },

    freeSlots: (tenant, count) => addActive(tenant, { ":d": n(-count) }),

    async putJobs(jobs: Job[]) {
      const items = jobs.map((job) => ({
        ...jobToItem(job),
        ...(job.holdsSlot
          ? slotItem(job.tenant, activeUntil(job.schedule, job.nextRunMs, job.remainingRuns))
          : {}),
      }));
      const left = await batchPut(client, table, items);
      return new Set(left.map((item) => item.id!.S!));
    },
  };
}
