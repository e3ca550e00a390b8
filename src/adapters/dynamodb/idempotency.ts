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
  type Put,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import { DEFAULT_TENANT } from "../../core/caller.js";
import { alreadyExists, unavailable } from "../../core/errors.js";
import { externalKeyTaken } from "../../core/external-key.js";
import { type IdempotencyRecord, keyInUse } from "../../core/idempotency.js";
import type { Job } from "../../core/job.js";
import type { SlotChange } from "../../core/ports/job-store.js";
import { counterAction, exhausted, transactSlots } from "./active-slots.js";
import { dynamo } from "./calls.js";
import { holderOf, keyPut } from "./external-key.js";
import { type Item, itemToJob, n, num, s, str } from "./job-item.js";
import { tenantItem, visible } from "./tenant.js";
import { enableTtl } from "./ttl.js";

/** The jobs table's TTL attribute, set only on idempotency records. */
export const TTL_ATTRIBUTE = "expires_at";

export function idempotencyId(tenant: string, owner: string, key: string): string {
  const scope = tenant === DEFAULT_TENANT ? owner : `${tenant}\0${owner}`;
  return `idem#${createHash("sha256").update(scope).digest("hex").slice(0, 32)}#${key}`;
}

/**
 * Turns on TTL for the jobs table so that expired records go away. Best
 * effort: already on is fine, and correctness never depends on it.
 */
export async function enableIdempotencyTtl(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await enableTtl(client, table, TTL_ATTRIBUTE);
  } catch {
    // An emulator without TTL: expiry is enforced by the condition below anyway.
  }
}

async function readConsistent(client: DynamoDBClient, table: string, id: string) {
  const out = await dynamo(() =>
    client.send(new GetItemCommand({ TableName: table, Key: { id: s(id) }, ConsistentRead: true })),
  );
  return out.Item;
}

/** The record of `record`'s key naming `jobId`. */
export function recordItem(record: IdempotencyRecord, jobId: string): Item {
  return {
    id: s(idempotencyId(record.tenant, record.owner, record.key)),
    ...tenantItem(record.tenant),
    rhash: s(record.requestHash),
    job_id: s(jobId),
    exp_ms: n(record.expiresMs),
    [TTL_ATTRIBUTE]: n(Math.ceil(record.expiresMs / 1000)),
  };
}

/** The put that claims a key for `jobId`: only if it has no live record at `nowMs`. */
export function claimPut(table: string, record: IdempotencyRecord, jobId: string, nowMs: number) {
  return {
    TableName: table,
    Item: recordItem(record, jobId),
    ConditionExpression: "attribute_not_exists(id) OR exp_ms <= :now",
    ExpressionAttributeValues: { ":now": n(nowMs) },
  };
}

export async function createJobOnce(
  client: DynamoDBClient,
  tables: { jobs: string; tenants: string },
  request: {
    job: Job;
    record: IdempotencyRecord;
    nowMs: number;
    /** The job's conditional put, as `createJob` makes it. */
    put: Put;
    /** The job takes an active-schedule slot: its tenant's counter goes in the transaction too. */
    slot?: Extract<SlotChange, { kind: "take" }>;
  },
): Promise<Job> {
  const { job, record, nowMs, slot } = request;
  const table = tables.jobs;
  const id = idempotencyId(record.tenant, record.owner, record.key);
  const actions: TransactWriteItem[] = [
    { Put: claimPut(table, record, job.id, nowMs) },
    { Put: request.put },
  ];
  if (slot) actions.push(counterAction(tables.tenants, job.tenant, slot));
  // The external key's record goes last, so that the reasons above keep their places.
  const keyAt = actions.length;
  if (job.externalKey !== undefined) {
    actions.push(keyPut(table, job as Job & { externalKey: string }));
  }
  // Concurrent creates with one key (or one tenant's slot counter) cancel
  // each other as TransactionConflict: transactSlots tries again.
  const reasons = await transactSlots(client, actions);
  if (!reasons) return job;
  const failed = reasons.map((r) => r.code === "ConditionalCheckFailed");
  const [keyTaken, idTaken, noSlot] = failed;
  if (idTaken) throw alreadyExists(`job ${job.id}`);
  if (keyTaken) return existing(client, table, id, record);
  if (job.externalKey !== undefined && failed[keyAt]) {
    throw externalKeyTaken(job.externalKey, holderOf(reasons[keyAt]?.item));
  }
  if (noSlot && slot) throw exhausted(job.tenant, reasons[2]?.item, slot.defaultLimit);
  throw unavailable("DynamoDB", new Error(`create of ${job.id}: unexpected cancellation`));
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
    throw keyInUse(record.key, num(item, "exp_ms") ?? 0);
  }
  const jobItem = await readConsistent(client, table, str(item, "job_id")!);
  if (!visible(jobItem, record.tenant))
    throw unavailable("DynamoDB", new Error(`job of ${id} not found`));
  return itemToJob(jobItem);
}
