/**
 * The due index tells a claim whether a job has notifications (so that a job
 * without them costs no extra read per run), and a table whose due index was
 * created before `ntf` existed falls back to sending runs without their
 * target, which makes the worker read the job. Real DynamoDB Local.
 */

import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { DUE_INDEX, OWNER_INDEX, RECOVER_INDEX } from "../../../src/adapters/dynamodb/tables.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import type { NotificationTarget } from "../../../src/core/notification.js";
import { testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";

const targets: NotificationTarget[] = [
  { kind: "webhook", events: ["failed"], url: "https://x.example/n", headers: {} },
];

async function due(stores: Awaited<ReturnType<typeof testStores>>, id: string, part: number) {
  return (await stores.jobs.dueJobs(part, Date.now() + 3_600_000, 100)).find((d) => d.id === id);
}

describe("the notify flag in the due index", () => {
  it("is set for a job with notifications only, and follows UpdateJob", async () => {
    const stores = await testStores(testConfig("ntf-flag"));
    try {
      const plain = makeJob(8);
      const noisy = makeJob(8, { notifications: targets });
      await stores.jobs.createJob(plain);
      await stores.jobs.createJob(noisy);
      const a = await due(stores, plain.id, plain.partition);
      const b = await due(stores, noisy.id, noisy.partition);
      expect(a?.notify).toBeUndefined();
      expect(a?.target).toEqual(plain.target);
      expect(b?.notify).toBe(true);
      expect(b?.target).toEqual(noisy.target);

      await stores.jobs.updateJob(DEFAULT_TENANT, noisy.id, { notifications: [] }, {}, Date.now());
      expect((await due(stores, noisy.id, noisy.partition))?.notify).toBeUndefined();
      expect((await stores.jobs.getJob(DEFAULT_TENANT, noisy.id))?.notifications).toBeUndefined();
    } finally {
      stores.client.destroy();
    }
  });

  it("on a jobs table created before notifications, due runs go without their target", async () => {
    const config = testConfig("ntf-old");
    const { dynamo: client } = createAdapters(config);
    const names = tableNames(config.store.tablePrefix);
    const index = (name: string, hash: string, range: string, include?: string[]) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: hash, KeyType: "HASH" as const },
        { AttributeName: range, KeyType: "RANGE" as const },
      ],
      Projection: include
        ? { ProjectionType: "INCLUDE" as const, NonKeyAttributes: include }
        : { ProjectionType: "KEYS_ONLY" as const },
    });
    // The jobs table as the previous version created it: `due` without `ntf`.
    await client.send(
      new CreateTableCommand({
        TableName: names.jobs,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "id", AttributeType: "S" },
          { AttributeName: "owner", AttributeType: "S" },
          { AttributeName: "part", AttributeType: "N" },
          { AttributeName: "next_run", AttributeType: "N" },
          { AttributeName: "recover_at", AttributeType: "N" },
          { AttributeName: "created", AttributeType: "N" },
        ],
        GlobalSecondaryIndexes: [
          index(DUE_INDEX, "part", "next_run", ["sched", "tgt", "recover_at"]),
          index(RECOVER_INDEX, "part", "recover_at", [
            "claimed",
            "claimed_m",
            "cseq",
            "st",
            "next_run",
          ]),
          index(OWNER_INDEX, "owner", "created"),
        ],
      }),
    );
    client.destroy();
    const stores = await testStores(config);
    try {
      const noisy = makeJob(8, { notifications: targets });
      await stores.jobs.createJob(noisy);
      const d = await due(stores, noisy.id, noisy.partition);
      expect(d).toBeDefined();
      expect(d?.target).toBeUndefined();
    } finally {
      stores.client.destroy();
    }
  });
});
