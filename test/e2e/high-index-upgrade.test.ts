/**
 * A jobs table from before the quota and HIGH indexes, on DynamoDB Local. A
 * table builds one new index at a time (a second one is refused with
 * LimitExceededException while the first is built; a start failed on it in
 * CI): a start adds the quota index, waits for it to be built, then adds the
 * HIGH index. One found missing later is added by the readiness check.
 *
 * In the e2e tier, on a DynamoDB Local of its own, as dead-index-upgrade is:
 * DynamoDB Local builds a new index on an existing table on a pool of
 * threads shared with the time-to-live jobs of the other files' tables, and
 * a CI run beside the integration files held the quota index CREATING for
 * over 90 s.
 */

import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backends, startBackends } from "../../deploy/local/backends.js";
import { tableNames } from "../../src/adapters/dynamodb/client.js";
import {
  ensureHighIndex,
  HIGH_INDEX,
  highIndexReadiness,
} from "../../src/adapters/dynamodb/high-index.js";
import { ensureQuotaIndex } from "../../src/adapters/dynamodb/quota-index.js";
import { DUE_INDEX, DUE_PROJECTION } from "../../src/adapters/dynamodb/tables.js";
import { createAdapters } from "../../src/adapters/from-config.js";
import { type Clock, systemClock } from "../../src/core/clock.js";
import { testConfig, testStores } from "../support/app.js";
import { waitFor } from "../support/wait.js";

describe("the HIGH index on a table from before it", () => {
  let own: Backends | undefined;
  beforeAll(async () => {
    own = await startBackends({ only: ["dynamodb"] });
  });
  afterAll(() => own?.stop());

  it("a start adds it after the quota index is built; one missing later is added by the readiness check", async () => {
    const config = testConfig("high-upgrade", { DYNAMODB_ENDPOINT: own!.dynamodb });
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
    // What a start does to it: the quota index, then the HIGH index once
    // the quota index is built (a table builds one new index at a time).
    // A start waits 10 s for that; here as long as DynamoDB Local takes.
    await ensureQuotaIndex(client, names.jobs);
    await ensureHighIndex(client, names.jobs, DUE_PROJECTION, 90_000);
    expect((await indexes()).some((ix) => ix.IndexName === HIGH_INDEX)).toBe(true);
    // A whole start on it.
    const stores = await testStores(config);
    stores.client.destroy();
    await waitFor(
      "every index built",
      async () => ((await indexes()).every((ix) => ix.IndexStatus === "ACTIVE") ? true : undefined),
      90_000,
    );
    // An index missing later (a start that could not add it; deleted here):
    // the readiness check adds it, without waiting, until it is ACTIVE.
    await client.send(
      new UpdateTableCommand({
        TableName: names.jobs,
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: HIGH_INDEX } }],
      }),
    );
    await waitFor("the HIGH index deleted", async () =>
      (await indexes()).some((ix) => ix.IndexName === HIGH_INDEX) ? undefined : true,
    );

    // A clock a minute on at each reading: every call checks the table again.
    let now = Date.now();
    const clock: Clock = { ...systemClock, now: () => (now += 61_000) };
    const ready = highIndexReadiness(client, names.jobs, clock, DUE_PROJECTION);
    await waitFor(
      "the HIGH index ACTIVE",
      async () => ((await ready()) ? true : undefined),
      90_000,
    );
    const high = (await indexes()).find((ix) => ix.IndexName === HIGH_INDEX);
    expect(high?.IndexStatus).toBe("ACTIVE");
    expect(high?.Projection?.NonKeyAttributes).toEqual(DUE_PROJECTION);
    client.destroy();
  }, 300_000);
});
