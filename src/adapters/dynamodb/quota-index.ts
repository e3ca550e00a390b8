import type { DynamoDBClient, GlobalSecondaryIndex } from "@aws-sdk/client-dynamodb";
import { addIndex } from "./add-index.js";

/**
 * GSI of the jobs that hold one of their tenant's active-schedule slots,
 * by tenant and by when each may have finished by itself: hash `qc` (the
 * tenant, present only while the job holds a slot), range `qend`
 * (`activeUntil`: a one-time job's run, a bounded schedule's end, or never).
 * Sparse and keys only: the claim that finishes a job writes neither
 * attribute, so a fire costs this index nothing; `freeFinished` queries the
 * entries whose end has passed and reads those jobs' status.
 */
export const QUOTA_INDEX = "quota";
export const SLOT_ATTR = "qc";
export const SLOT_END_ATTR = "qend";

export const quotaIndex: GlobalSecondaryIndex = {
  IndexName: QUOTA_INDEX,
  KeySchema: [
    { AttributeName: SLOT_ATTR, KeyType: "HASH" },
    { AttributeName: SLOT_END_ATTR, KeyType: "RANGE" },
  ],
  Projection: { ProjectionType: "KEYS_ONLY" },
};

export const quotaIndexAttributes = [
  { AttributeName: SLOT_ATTR, AttributeType: "S" as const },
  { AttributeName: SLOT_END_ATTR, AttributeType: "N" as const },
];

/**
 * Adds the quota index to a jobs table created before it existed. Does not
 * wait for it: on AWS a new index on a large table takes a while to build,
 * and until it is ACTIVE `freeFinished` finds nothing (counts only stay high
 * a little longer). A table that has it costs one DescribeTable. A table
 * whose other new index is still being built after 10 s fails the start
 * (`addIndex`): it is tried again by the next.
 */
export async function ensureQuotaIndex(client: DynamoDBClient, table: string): Promise<void> {
  await addIndex(client, table, quotaIndex, quotaIndexAttributes, { required: true });
}
