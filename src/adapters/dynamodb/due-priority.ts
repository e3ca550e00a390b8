import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DUE_INDEX } from "./tables.js";

/**
 * Whether the due index projects `prio`. A jobs table created before
 * priorities does not (DynamoDB cannot change a GSI's projection in place):
 * the store then reports due jobs without a priority and the claimer reads
 * those jobs, an extra read per fire until the index is rebuilt.
 */
export async function dueIndexHasPriority(client: DynamoDBClient, table: string): Promise<boolean> {
  const out = await client.send(new DescribeTableCommand({ TableName: table }));
  const due = out.Table?.GlobalSecondaryIndexes?.find((ix) => ix.IndexName === DUE_INDEX);
  const projection = due?.Projection;
  return (
    projection?.ProjectionType === "ALL" || (projection?.NonKeyAttributes ?? []).includes("prio")
  );
}
