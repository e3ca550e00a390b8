/**
 * The partitions table: one item per partition holding its owner's fence
 * (epoch, owner). A new owner writes it before its first claim; a claim
 * refused under a fence reads it to tell a lost race from a stale owner
 * (claims carry the epoch on the job item: claim-writes.ts); the first leader of an etcd cluster reads the
 * highest epoch so that its own epochs start above it. The item also keeps
 * the partition's sweep mark (`swept_to`, see `JobStore.sweptTo`).
 */

import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Fence } from "../../core/ports/job-store.js";
import { dynamo } from "./calls.js";
import { n, num, s, str } from "./job-item.js";

/** Whether `fence` is still the partition's recorded owner (a strongly consistent read). */
export async function fenceHolds(
  client: DynamoDBClient,
  table: string,
  fence: Fence,
): Promise<boolean> {
  const out = await dynamo(() =>
    client.send(
      new GetItemCommand({
        TableName: table,
        Key: { part: n(fence.partition) },
        ConsistentRead: true,
      }),
    ),
  );
  const item = out.Item;
  return (
    item !== undefined && num(item, "epoch") === fence.epoch && str(item, "owner") === fence.owner
  );
}

/**
 * Records `fence` unless a newer epoch is recorded (or the same epoch for
 * another owner); `false` means the caller is stale for that partition.
 */
export async function fencePartition(
  client: DynamoDBClient,
  table: string,
  fence: Fence,
): Promise<boolean> {
  try {
    await dynamo(() =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { part: n(fence.partition) },
          UpdateExpression: "SET epoch = :e, #owner = :o",
          ConditionExpression:
            "attribute_not_exists(epoch) OR epoch < :e OR (epoch = :e AND #owner = :o)",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":e": n(fence.epoch), ":o": s(fence.owner) },
        }),
      ),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}

/**
 * The highest epoch any partition was fenced at (0 when none was): one
 * strongly consistent scan of at most `CHRONORING_PARTITIONS` small items.
 */
export async function highestFenceEpoch(client: DynamoDBClient, table: string): Promise<number> {
  let highest = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo(() =>
      client.send(
        new ScanCommand({
          TableName: table,
          ProjectionExpression: "epoch",
          ConsistentRead: true,
          ...(startKey && { ExclusiveStartKey: startKey }),
        }),
      ),
    );
    for (const item of page.Items ?? []) highest = Math.max(highest, num(item, "epoch") ?? 0);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return highest;
}

/** The partition's sweep mark (`JobStore.sweptTo`): one strongly consistent read. */
export async function sweptTo(
  client: DynamoDBClient,
  table: string,
  partition: number,
): Promise<number | undefined> {
  const out = await dynamo(() =>
    client.send(
      new GetItemCommand({
        TableName: table,
        Key: { part: n(partition) },
        ProjectionExpression: "swept_to",
        ConsistentRead: true,
      }),
    ),
  );
  return out.Item ? num(out.Item, "swept_to") : undefined;
}

/** Records the partition's sweep mark; the fence beside it is left as it is. */
export async function recordSweptTo(
  client: DynamoDBClient,
  table: string,
  partition: number,
  ms: number,
): Promise<void> {
  await dynamo(() =>
    client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { part: n(partition) },
        UpdateExpression: "SET swept_to = :ms",
        ExpressionAttributeValues: { ":ms": n(ms) },
      }),
    ),
  );
}
