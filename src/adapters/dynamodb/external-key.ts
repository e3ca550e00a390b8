/**
 * External keys in DynamoDB. A live job's key has a record in the jobs table
 * under `xkey#<sha256(tenant)>#<key>` naming the job (`job_id`) and carrying
 * the tenant; the job's create puts it in the same transaction, conditional
 * on its absence, so two racing creates of one key cannot both succeed. The
 * job's cancel deletes it in the same transaction. ListJobs scans only
 * `job_` ids, and the record has none of the index keys, so no listing sees it.
 */

import { createHash } from "node:crypto";
import {
  type DynamoDBClient,
  GetItemCommand,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import type { Job } from "../../core/job.js";
import { dynamo } from "./calls.js";
import { type Item, itemToJob, s, str } from "./job-item.js";
import { tenantItem, visible } from "./tenant.js";

/** The record's id: hashing the tenant keeps any tenant name out of the key's charset. */
export function externalKeyId(tenant: string, key: string): string {
  return `xkey#${createHash("sha256").update(tenant).digest("hex").slice(0, 32)}#${key}`;
}

/** The put that takes `job.externalKey` for it; the old record comes back when it fails. */
export function keyPut(table: string, job: Job & { externalKey: string }): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: {
        id: s(externalKeyId(job.tenant, job.externalKey)),
        ...tenantItem(job.tenant),
        job_id: s(job.id),
      },
      ConditionExpression: "attribute_not_exists(id)",
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    },
  };
}

/** Deletes the key's record if it still names `jobId` (or is gone already). */
export function keyRelease(
  table: string,
  tenant: string,
  key: string,
  jobId: string,
): TransactWriteItem {
  return {
    Delete: {
      TableName: table,
      Key: { id: s(externalKeyId(tenant, key)) },
      ConditionExpression: "attribute_not_exists(id) OR job_id = :jid",
      ExpressionAttributeValues: { ":jid": s(jobId) },
    },
  };
}

/** The job a record names, from the record as a failed put returned it. */
export function holderOf(old: Item | undefined): string | undefined {
  return old ? str(old, "job_id") : undefined;
}

async function readConsistent(client: DynamoDBClient, table: string, id: string) {
  const out = await dynamo(() =>
    client.send(new GetItemCommand({ TableName: table, Key: { id: s(id) }, ConsistentRead: true })),
  );
  return out.Item;
}

/** The tenant's live job holding `key`, if any. */
export async function getJobByExternalKey(
  client: DynamoDBClient,
  table: string,
  tenant: string,
  key: string,
): Promise<Job | undefined> {
  const record = await readConsistent(client, table, externalKeyId(tenant, key));
  const jobId = visible(record, tenant) ? holderOf(record) : undefined;
  if (jobId === undefined) return undefined;
  const item = await readConsistent(client, table, jobId);
  return visible(item, tenant) ? itemToJob(item) : undefined;
}
