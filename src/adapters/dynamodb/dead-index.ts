import type { DynamoDBClient, GlobalSecondaryIndex } from "@aws-sdk/client-dynamodb";
import { DEFAULT_TENANT } from "../../core/caller.js";
import { addIndex } from "./add-index.js";

/**
 * GSI of the dead list: executions recorded DEAD and not yet redriven or
 * purged. Sparse: only such items carry `dead` (hash, one per tenant, see
 * `deadHash`) and `dead_key` (range, `<job id>#<run key>`), so that one query
 * lists a tenant's dead runs and a `begins_with` lists one job's. Dead runs
 * are rare, so one hash key per tenant is enough; it projects everything,
 * the listing reads no item.
 */
export const DEAD_INDEX = "dead";
export const DEAD_HASH = "DEAD";

/**
 * The dead index hash of a tenant's dead runs: "DEAD" for `default` (where
 * the dead runs recorded before tenancy are), `DEAD#<tenant>` for the others.
 */
export function deadHash(tenant: string): string {
  return tenant === DEFAULT_TENANT ? DEAD_HASH : `${DEAD_HASH}#${tenant}`;
}

export const deadIndex: GlobalSecondaryIndex = {
  IndexName: DEAD_INDEX,
  KeySchema: [
    { AttributeName: "dead", KeyType: "HASH" },
    { AttributeName: "dead_key", KeyType: "RANGE" },
  ],
  Projection: { ProjectionType: "ALL" },
};

export const deadIndexAttributes = [
  { AttributeName: "dead", AttributeType: "S" as const },
  { AttributeName: "dead_key", AttributeType: "S" as const },
];

/** The range key of a dead run: its job, then its run key. */
export function deadKey(jobId: string, run: string): string {
  return `${jobId}#${run}`;
}

/**
 * Adds the dead index to an executions table created before it existed, and
 * waits until it is ACTIVE (60 s at most). A table that has it costs one
 * DescribeTable.
 */
export async function ensureDeadIndex(client: DynamoDBClient, table: string): Promise<void> {
  await addIndex(client, table, deadIndex, deadIndexAttributes, {
    activeWithinMs: 60_000,
    required: true,
  });
}
