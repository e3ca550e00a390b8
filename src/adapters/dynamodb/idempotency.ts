/**
 * CreateJob with an idempotency key: the job put and the key's record in one
 * TransactWriteItems. The record lives in the jobs table under
 * `idem#<sha256(scope)>#<key>`, where the scope is the owner for the
 * `default` tenant (as before tenancy, so records written then still count)
 * and `<tenant>\0<owner>` for any other, and it carries the tenant: ListJobs scans only `job_` ids, and the record
 * has none of the due, recover and owner index keys, so no listing sees it.
 *
 * The record holds the request hash, the job id and `expires_at` (epoch s, the
 * table's TTL attribute). DynamoDB deletes expired items only eventually (and
 * DynamoDB Local not at all), so the write's condition treats a record whose
 * time has passed as absent.
 */

import { createHash } from "node:crypto";
import {
  type DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { DEFAULT_TENANT } from "../../core/caller.js";
import { alreadyExists, ChronoringError, unavailable } from "../../core/errors.js";
import type { IdempotencyRecord } from "../../core/idempotency.js";
import type { Job } from "../../core/job.js";
import { dynamo, failedConditions } from "./calls.js";
import { type Item, itemToJob, jobToItem, n, num, s, str } from "./job-item.js";
import { enableTtl } from "./tables.js";
import { tenantItem, visible } from "./tenant.js";

/** The jobs table's TTL attribute, set only on idempotency records. */
export const TTL_ATTRIBUTE = "expires_at";

/** Concurrent creates with one key can cancel each other (TransactionConflict): retry this often. */
const CONFLICT_RETRIES = 5;

export function idempotencyId(tenant: string, owner: string, key: string): string {
  const scope = tenant === DEFAULT_TENANT ? owner : `${tenant}\0${owner}`;
  return `idem#${createHash("sha256").update(scope).digest("hex").slice(0, 32)}#${key}`;
}

/** Turns on TTL for the jobs table so that expired records go away (best effort). */
export function enableIdempotencyTtl(client: DynamoDBClient, table: string): Promise<void> {
  return enableTtl(client, table, TTL_ATTRIBUTE);
}

async function readConsistent(client: DynamoDBClient, table: string, id: string) {
  const out = await dynamo(() =>
    client.send(new GetItemCommand({ TableName: table, Key: { id: s(id) }, ConsistentRead: true })),
  );
  return out.Item;
}

export async function createJobOnce(
  client: DynamoDBClient,
  table: string,
  job: Job,
  record: IdempotencyRecord,
  nowMs: number,
): Promise<Job> {
  const id = idempotencyId(record.tenant, record.owner, record.key);
  const recordItem: Item = {
    id: s(id),
    ...tenantItem(record.tenant),
    rhash: s(record.requestHash),
    job_id: s(job.id),
    exp_ms: n(record.expiresMs),
    [TTL_ATTRIBUTE]: n(Math.ceil(record.expiresMs / 1000)),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await dynamo(() =>
        client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: recordItem,
                  ConditionExpression: "attribute_not_exists(id) OR exp_ms <= :now",
                  ExpressionAttributeValues: { ":now": n(nowMs) },
                },
              },
              {
                Put: {
                  TableName: table,
                  Item: jobToItem(job),
                  ConditionExpression: "attribute_not_exists(id)",
                },
              },
            ],
          }),
        ),
      );
      return job;
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const [keyTaken, idTaken] = failedConditions(err);
      if (idTaken) throw alreadyExists(`job ${job.id}`);
      if (keyTaken) return existing(client, table, id, record);
      if (attempt >= CONFLICT_RETRIES) throw unavailable("DynamoDB", err);
      // TransactionConflict with a concurrent create of the same key.
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
    }
  }
}

/** The job a live record points to, or already_exists when the request differs. */
async function existing(
  client: DynamoDBClient,
  table: string,
  id: string,
  record: IdempotencyRecord,
): Promise<Job> {
  const item = await readConsistent(client, table, id);
  if (!visible(item, record.tenant))
    throw unavailable("DynamoDB", new Error(`idempotency record ${id} vanished`));
  if (str(item, "rhash") !== record.requestHash) {
    throw new ChronoringError(
      "already_exists",
      `idempotency_key: "${record.key}" was used with a different request (until ${new Date(
        num(item, "exp_ms") ?? 0,
      ).toISOString()})`,
      { field: "idempotency_key" },
    );
  }
  const jobItem = await readConsistent(client, table, str(item, "job_id")!);
  if (!visible(jobItem, record.tenant))
    throw unavailable("DynamoDB", new Error(`job of ${id} not found`));
  return itemToJob(jobItem);
}
