import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { JobStatus } from "../../core/job.js";
import type { ClaimedRuns } from "../../core/ports/job-store.js";
import { dynamo } from "./calls.js";
import { numSet, s, str } from "./job-item.js";

/**
 * `JobStore.claimedRuns`: the job's status and claim record (`claimed`,
 * `claimed_m`), one strongly consistent GetItem of only those attributes, so
 * that a stop sees every claim and trigger committed before it.
 */
export async function readClaimedRuns(
  client: DynamoDBClient,
  table: string,
  jobId: string,
): Promise<ClaimedRuns | undefined> {
  const out = await dynamo(() =>
    client.send(
      new GetItemCommand({
        TableName: table,
        Key: { id: s(jobId) },
        ConsistentRead: true,
        ProjectionExpression: "st, claimed, claimed_m",
      }),
    ),
  );
  const item = out.Item;
  if (!item) return undefined;
  return {
    status: str(item, "st") as JobStatus,
    scheduled: numSet(item, "claimed"),
    manual: numSet(item, "claimed_m"),
  };
}
