import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Etcd3 } from "etcd3";
import { afterAll, describe, expect, it } from "vitest";
import { localCredentials, testBackends, uniquePrefix } from "../support/backends.js";

const backends = testBackends();

describe("DynamoDB Local", () => {
  const client = new DynamoDBClient({
    endpoint: backends.dynamodb,
    region: backends.region,
    credentials: localCredentials,
  });
  afterAll(() => client.destroy());

  it("serves a table with a GSI and rejects a conditional put the second time", async () => {
    const table = `${uniquePrefix("backends")}jobs`;
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "id", AttributeType: "S" },
          { AttributeName: "shard", AttributeType: "S" },
          { AttributeName: "due", AttributeType: "N" },
        ],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: "by-due",
            KeySchema: [
              { AttributeName: "shard", KeyType: "HASH" },
              { AttributeName: "due", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
    try {
      const put = new PutItemCommand({
        TableName: table,
        Item: { id: { S: "job-1" }, shard: { S: "7" }, due: { N: "1000" } },
        ConditionExpression: "attribute_not_exists(id)",
      });
      await client.send(put);
      await expect(client.send(put)).rejects.toBeInstanceOf(ConditionalCheckFailedException);

      const due = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: "by-due",
          // `shard` is a reserved word: DynamoDB Local enforces that like AWS does.
          KeyConditionExpression: "#shard = :shard AND due <= :now",
          ExpressionAttributeNames: { "#shard": "shard" },
          ExpressionAttributeValues: { ":shard": { S: "7" }, ":now": { N: "2000" } },
        }),
      );
      expect(due.Items?.map((item) => item.id?.S)).toEqual(["job-1"]);
    } finally {
      await client.send(new DeleteTableCommand({ TableName: table }));
    }
  });
});

describe("SQS emulator", () => {
  const client = new SQSClient({
    endpoint: backends.sqs,
    region: backends.region,
    credentials: localCredentials,
  });
  afterAll(() => client.destroy());

  it("sends, receives and deletes a message, with a queue URL on the endpoint's host", async () => {
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: `${uniquePrefix("backends")}fires` }),
    );
    expect(QueueUrl).toBeDefined();
    const queueUrl = QueueUrl!;
    expect(new URL(queueUrl).host).toBe(new URL(backends.sqs).host);
    try {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "fire job-1" }));
      const received = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          WaitTimeSeconds: 2,
          VisibilityTimeout: 30,
        }),
      );
      const message = received.Messages?.[0];
      expect(message?.Body).toBe("fire job-1");
      await client.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle! }),
      );
      const after = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }),
      );
      expect(after.Messages ?? []).toEqual([]);
    } finally {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    }
  });
});

describe("etcd", () => {
  const client = new Etcd3({ hosts: backends.etcd });
  afterAll(() => client.close());

  it("stores a key and drops a leased key when its lease is revoked", async () => {
    const prefix = uniquePrefix("backends");
    await client.put(`${prefix}plain`).value("v1");
    expect(await client.get(`${prefix}plain`).string()).toBe("v1");

    const lease = client.lease(5);
    await lease.put(`${prefix}leased`).value("holder-1");
    expect(await client.get(`${prefix}leased`).string()).toBe("holder-1");
    await lease.revoke();
    expect(await client.get(`${prefix}leased`).string()).toBeNull();

    await client.delete().prefix(prefix);
  });
});
