import {
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";

/**
 * The store's ceiling for this run: a short raw burst of conditional single-item
 * writes (UpdateItem with a condition, what the worker's outcome write is)
 * against the same DynamoDB, at a concurrency that saturates it.
 */
export async function measureWriteCeiling(
  client: DynamoDBClient,
  options: { table: string; writes: number; concurrency: number },
): Promise<number> {
  await client.send(
    new CreateTableCommand({
      TableName: options.table,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.writes) {
        const i = next++;
        await client.send(
          new UpdateItemCommand({
            TableName: options.table,
            Key: { id: { S: `k${i}` } },
            UpdateExpression: "SET v = :v",
            ConditionExpression: "attribute_not_exists(v) OR v < :v",
            ExpressionAttributeValues: { ":v": { N: "1" } },
          }),
        );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await client.send(new DeleteTableCommand({ TableName: options.table }));
  return options.writes / seconds;
}
