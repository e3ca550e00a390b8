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
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";

/**
 * Runs `rounds` × ~4 typical requests (puts, conditional updates, gets, GSI queries, batch
 * writes) against a scratch table, then deletes it. DynamoDB Local's JVM serves at about half
 * speed until its hot paths are compiled, which would skew a benchmark's first seconds.
 */
export async function warmDynamo(client: DynamoDBClient, rounds = 150): Promise<void> {
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
      const pk = { S: `k${i % 200}` };
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
      if (i % 20 === 0) {
        await client.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [table]: Array.from({ length: 25 }, (_, j) => ({
                PutRequest: {
                  Item: { pk: { S: `b${i}-${j}` }, gsiPk: { S: "b" }, gsiSk: { N: String(j) } },
                },
              })),
            },
          }),
        );
      }
    };
    const concurrency = 16;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < rounds) await one(next++);
      }),
    );
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table }));
  }
}
