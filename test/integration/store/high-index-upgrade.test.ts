/**
 * A jobs table from before the quota and HIGH indexes, on DynamoDB Local:
 * a start adds the quota index, and the table refuses a second new index
 * while that one is being built (LimitExceededException; seen in a CI run
 * on a loaded machine, where a start failed on it). The start goes on, and
 * the HIGH index's readiness check adds the index later, until it is
 * ACTIVE. Whether the refusal comes depends on how long the first build
 * takes: the test prints which it saw, and checks the end either way.
 */

import { CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import {
  ensureHighIndex,
  HIGH_INDEX,
  highIndexReadiness,
} from "../../../src/adapters/dynamodb/high-index.js";
import { ensureQuotaIndex } from "../../../src/adapters/dynamodb/quota-index.js";
import { DUE_INDEX, DUE_PROJECTION } from "../../../src/adapters/dynamodb/tables.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type Clock, systemClock } from "../../../src/core/clock.js";
import { testConfig, testStores } from "../../support/app.js";
import { waitFor } from "../../support/wait.js";

describe("the HIGH index on a table from before it", () => {
  it("a start that cannot add it yet goes on; the readiness check adds it later", async () => {
    const config = testConfig("high-upgrade");
    const { dynamo: client } = createAdapters(config);
    const names = tableNames(config.store.tablePrefix);
    await client.send(
      new CreateTableCommand({
        TableName: names.jobs,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "id", AttributeType: "S" },
          { AttributeName: "part", AttributeType: "N" },
          { AttributeName: "next_run", AttributeType: "N" },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: DUE_INDEX,
            KeySchema: [
              { AttributeName: "part", KeyType: "HASH" },
              { AttributeName: "next_run", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["sched", "tgt"] },
          },
        ],
      }),
    );
    const indexes = async () =>
      (await client.send(new DescribeTableCommand({ TableName: names.jobs }))).Table
        ?.GlobalSecondaryIndexes ?? [];
    // What a start does to it: the quota index, then at once the HIGH index,
    // refused while the quota index is being built; never a failed start.
    // Both at once: DynamoDB Local builds an empty table's index in moments.
    await Promise.all([
      ensureQuotaIndex(client, names.jobs),
      ensureHighIndex(client, names.jobs, DUE_PROJECTION),
    ]);
    const deferred = !(await indexes()).some((ix) => ix.IndexName === HIGH_INDEX);
    console.log(`[high-index] creation ${deferred ? "deferred" : "accepted at once"}`);
    const stores = await testStores(config);
    stores.client.destroy();

    // A clock a minute on at each reading: every call checks the table again.
    let now = Date.now();
    const clock: Clock = { ...systemClock, now: () => (now += 61_000) };
    const ready = highIndexReadiness(client, names.jobs, clock, DUE_PROJECTION);
    await waitFor(
      "the HIGH index ACTIVE",
      async () => ((await ready()) ? true : undefined),
      60_000,
    );
    const high = (await indexes()).find((ix) => ix.IndexName === HIGH_INDEX);
    expect(high?.IndexStatus).toBe("ACTIVE");
    expect(high?.Projection?.NonKeyAttributes).toEqual(DUE_PROJECTION);
    client.destroy();
  });
});
