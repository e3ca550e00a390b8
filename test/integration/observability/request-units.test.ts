/**
 * What the cost counters count, on the real DynamoDB Local and SQS emulator:
 * the DynamoDB calls, the request units DynamoDB on demand would bill for
 * each kind of call (a transaction's actions twice, items by the KB, reads by
 * 4 KB and by consistency) and the SQS requests, a batch of up to 10 messages
 * being one.
 */

import {
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CapacityCounter } from "../../../src/adapters/dynamodb/capacity-counter.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { testConfig } from "../../support/app.js";
import { makeRun } from "../../support/jobs.js";

describe("the cost counters", () => {
  const config = testConfig("request-units");
  const capacity = new CapacityCounter();
  const sqsRequests = new Map<string, number>();
  const adapters = createAdapters(config, {
    capacityCounter: capacity,
    onQueueRequest: (command, n) => sqsRequests.set(command, (sqsRequests.get(command) ?? 0) + n),
  });
  const client = adapters.dynamo;
  const table = `${config.store.tablePrefix}units`;
  const units = (command: string) => capacity.snapshot().get(command) ?? { write: 0, read: 0 };

  beforeAll(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    await adapters.queue.init();
  });
  afterAll(() => client.destroy());

  it("bills a plain write 1 unit per KB and a transaction 2 per action", async () => {
    // 1,500 bytes of value: 2 KB when rounded up.
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: "a" }, sk: { S: "1" }, v: { S: "x".repeat(1500) } },
      }),
    );
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: "a" }, sk: { S: "2" } },
        UpdateExpression: "SET v = :v",
        ExpressionAttributeValues: { ":v": { S: "y".repeat(2000) } },
      }),
    );
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: { S: "b" }, sk: { S: "1" } } } },
          {
            ConditionCheck: {
              TableName: table,
              Key: { pk: { S: "a" }, sk: { S: "1" } },
              ConditionExpression: "attribute_exists(pk)",
            },
          },
        ],
      }),
    );
    expect(units("PutItemCommand")).toEqual({ write: 2, read: 0 });
    expect(units("UpdateItemCommand")).toEqual({ write: 2, read: 0 });
    expect(units("TransactWriteItemsCommand")).toEqual({ write: 4, read: 0 });
  });

  it("bills a read by 4 KB: half a unit eventually consistent, one strongly", async () => {
    const key = { pk: { S: "a" }, sk: { S: "1" } };
    await client.send(new GetItemCommand({ TableName: table, Key: key }));
    await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    // The two items of "a" (about 3.5 KB together): one 4 KB block.
    await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "pk = :a",
        ExpressionAttributeValues: { ":a": { S: "a" } },
      }),
    );
    expect(units("GetItemCommand").read).toBe(1.5);
    expect(units("QueryCommand").read).toBe(0.5);
  });

  it("counts every call, one that finds nothing too, once whatever its size", async () => {
    const before = capacity.requests().get("QueryCommand") ?? 0;
    for (const pk of ["a", "nothing-here"]) {
      await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: "pk = :a",
          ExpressionAttributeValues: { ":a": { S: pk } },
        }),
      );
    }
    expect(capacity.requests().get("QueryCommand")).toBe(before + 2);
    // Billed by what it read: the empty Query still costs half a unit.
    expect(units("QueryCommand").read).toBe(1.5);
  });

  it("counts an SQS batch of up to 10 messages as one request; runs sent together share messages", async () => {
    sqsRequests.clear();
    const runs = Array.from({ length: 12 }, (_, i) => makeRun("acme", 1_000 + i));
    await adapters.queue.send(runs);
    const got = [];
    for (let tries = 0; got.length < 12 && tries < 10; tries++) {
      got.push(...(await adapters.queue.receive(10, 0)));
    }
    expect(got).toHaveLength(12);
    // Twelve runs: two messages of six, one SendMessageBatch.
    expect(sqsRequests.get("SendMessageBatchCommand")).toBe(1);
    expect(sqsRequests.get("ReceiveMessageCommand")).toBeLessThanOrEqual(3);
    sqsRequests.clear();
    await Promise.all(got.map((d) => adapters.queue.ack(d)));
    // One delete a message, gathered: one DeleteMessageBatch.
    expect(sqsRequests.get("DeleteMessageBatchCommand")).toBe(1);
  });

  it("counts one visibility request per 10 messages extended together", async () => {
    const runs = Array.from({ length: 23 }, (_, i) => makeRun("acme", 2_000 + i));
    // Sent one by one: a message each.
    for (const run of runs) await adapters.queue.send([run]);
    const got = [];
    for (let tries = 0; got.length < 23 && tries < 10; tries++) {
      got.push(...(await adapters.queue.receive(10, 0)));
    }
    sqsRequests.clear();
    expect(await adapters.queue.extendAll(got, 30)).toEqual([]);
    expect(sqsRequests.get("ChangeMessageVisibilityBatchCommand")).toBe(Math.ceil(got.length / 10));
    expect(sqsRequests.has("ChangeMessageVisibilityCommand")).toBe(false);
  });
});
