import { randomBytes } from "node:crypto";
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";

/**
 * Sends typical requests (puts, conditional updates, gets, GSI queries, transactions, batch
 * writes) to a scratch table for `durationMs`, then deletes it. DynamoDB Local's JVM serves at about half
 * speed until its hot paths are compiled: measured here, PutItem throughput was still climbing
 * after 5,000 requests (~10 s), so a few hundred requests are not enough for a benchmark.
 */
export async function warmDynamo(client: DynamoDBClient, durationMs = 10_000): Promise<number> {
  const table = `chronoring-warmup-${randomBytes(4).toString("hex")}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "gsiPk", AttributeType: "S" },
        { AttributeName: "gsiSk", AttributeType: "N" },
      ],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: "due",
          KeySchema: [
            { AttributeName: "gsiPk", KeyType: "HASH" },
            { AttributeName: "gsiSk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
  try {
    const one = async (i: number) => {
      const pk = { S: `k${i % 2_000}` };
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk, gsiPk: { S: `s${i % 8}` }, gsiSk: { N: String(i) }, v: { N: "0" } },
        }),
      );
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk },
            UpdateExpression: "SET v = v + :one",
            ConditionExpression: "v < :max",
            ExpressionAttributeValues: { ":one": { N: "1" }, ":max": { N: "1000" } },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      await client.send(new GetItemCommand({ TableName: table, Key: { pk } }));
      await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: "due",
          KeyConditionExpression: "gsiPk = :p AND gsiSk <= :t",
          ExpressionAttributeValues: { ":p": { S: `s${i % 8}` }, ":t": { N: String(i) } },
          Limit: 100,
        }),
      );
      // Claims and starts are transactions: a condition check beside a write.
      try {
        await client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: table,
                  Key: { pk },
                  ConditionExpression: "attribute_exists(pk)",
                },
              },
              {
                Update: {
                  TableName: table,
                  Key: { pk: { S: `t${i % 2_000}` } },
                  UpdateExpression: "SET v = :v",
                  ExpressionAttributeValues: { ":v": { N: String(i) } },
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
      }
      if (i % 20 === 0) {
        await client.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [table]: Array.from({ length: 25 }, (_, j) => ({
                PutRequest: {
                  Item: {
                    pk: { S: `b${i % 2_000}-${j}` },
                    gsiPk: { S: "b" },
                    gsiSk: { N: String(j) },
                  },
                },
              })),
            },
          }),
        );
      }
    };
    const concurrency = 16;
    const deadline = Date.now() + durationMs;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < deadline) await one(next++);
      }),
    );
    return next;
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table }));
  }
}
