/**
 * Upgrading a store: ensureTables adds the dead index (retries, issue 4) to
 * an executions table created before it. Here rather than in the integration
 * tier: DynamoDB Local builds a new index on an existing table slowly (over a
 * minute) while the integration files load it; the e2e tier runs one file at
 * a time.
 *
 * On a DynamoDB Local of its own, not the shared one: DynamoDB Local builds
 * indexes on a pool of 10 threads that also runs one time-to-live job per
 * table with TTL on (each idempotency table) while that table holds items not
 * yet expired (2026-05-28; the 2026-01-16 build holds one for any such table).
 * With 7 of them, which the other e2e files leave behind, the index stays
 * CREATING for good (measured here).
 */

import { CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backends, startBackends } from "../../deploy/local/backends.js";
import { tableNames } from "../../src/adapters/dynamodb/client.js";
import { DEAD_INDEX } from "../../src/adapters/dynamodb/dead-index.js";
import { createAdapters } from "../../src/adapters/from-config.js";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { testConfig } from "../support/app.js";

describe("upgrading the executions table", () => {
  let own: Backends | undefined;
  beforeAll(async () => {
    own = await startBackends({ only: ["dynamodb"] });
  });
  afterAll(() => own?.stop());

  it("adds the dead index to an executions table created without it", async () => {
    const dynamo = { DYNAMODB_ENDPOINT: own!.dynamodb };
    // A table as it was before the dead index: the executions table's shape
    // without that index, under a prefix of its own. (Deleting the index from
    // a live table instead takes DynamoDB Local minutes when it is busy.)
    // The current shape, from a table this version creates.
    const config = testConfig("dead-index-new", dynamo);
    const adapters = createAdapters(config);
    await adapters.executions.init();
    const old = testConfig("dead-index-old", dynamo);
    const oldAdapters = createAdapters(old);
    const table = tableNames(old.store.tablePrefix).executions;
    const current = await adapters.dynamo.send(
      new DescribeTableCommand({ TableName: tableNames(config.store.tablePrefix).executions }),
    );
    const t = current.Table!;
    const indexes = (t.GlobalSecondaryIndexes ?? []).filter((ix) => ix.IndexName !== DEAD_INDEX);
    const used = new Set(
      [...(t.KeySchema ?? []), ...indexes.flatMap((ix) => ix.KeySchema ?? [])].map(
        (k) => k.AttributeName,
      ),
    );
    await oldAdapters.dynamo.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: t.KeySchema,
        AttributeDefinitions: (t.AttributeDefinitions ?? []).filter((a) =>
          used.has(a.AttributeName),
        ),
        GlobalSecondaryIndexes: indexes.map((ix) => ({
          IndexName: ix.IndexName,
          KeySchema: ix.KeySchema,
          Projection: ix.Projection,
        })),
      }),
    );
    const hasIndex = async () => {
      const out = await oldAdapters.dynamo.send(new DescribeTableCommand({ TableName: table }));
      return (out.Table?.GlobalSecondaryIndexes ?? []).find((ix) => ix.IndexName === DEAD_INDEX);
    };
    expect(await hasIndex()).toBeUndefined();
    try {
      await oldAdapters.executions.init();
      expect((await hasIndex())?.IndexStatus).toBe("ACTIVE");
      const { items } = await oldAdapters.retries.listDead(DEFAULT_TENANT, { pageSize: 10 });
      expect(items).toEqual([]);
    } finally {
      oldAdapters.dynamo.destroy();
      adapters.dynamo.destroy();
    }
  });
});
