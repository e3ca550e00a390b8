/**
 * Group commit in DynamoDB Local: writes from concurrent callers share
 * transactions, and sharing never changes an outcome. A refused action
 * fails only its own write, the others are written; two writes on one item
 * never share a transaction, not even the same write twice; claims of many partitions at once share
 * transactions, and a stale fence fails only its own partition's claims.
 */
import {
  CreateTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { createGroupCommit } from "../../../src/adapters/dynamodb/group-commit.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { StaleOwnerError } from "../../../src/core/errors.js";
import type { Claim, DueJob, Fence } from "../../../src/core/ports/job-store.js";
import { testConfig, testStores } from "../../support/app.js";
import { uniquePrefix } from "../../support/backends.js";
import { makeJob } from "../../support/jobs.js";

/** Counts the requests of each command sent through `client`. */
function countRequests(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? "?";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "countRequests" },
  );
  return counts;
}

async function scratchTable(client: DynamoDBClient): Promise<string> {
  const table = `${uniquePrefix("group-commit")}items`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  return table;
}

/** Puts item `id` unless it exists. */
const putNew = (table: string, id: string, v = "1"): TransactWriteItem => ({
  Put: {
    TableName: table,
    Item: { id: { S: id }, v: { S: v } },
    ConditionExpression: "attribute_not_exists(id)",
  },
});

describe("group commit", () => {
  it("writes concurrent callers' writes in shared transactions", async () => {
    const { client } = await testStores(testConfig("gc-share"));
    const table = await scratchTable(client);
    const counts = countRequests(client);
    const commits = createGroupCommit({ client, keys: { [table]: ["id"] }, maxInFlight: 1 });
    const writes = Array.from({ length: 60 }, (_, i) =>
      commits.write([putNew(table, `a${i}`), putNew(table, `b${i}`)]),
    );
    expect(await Promise.all(writes)).toEqual(writes.map(() => undefined));
    // 120 actions, at most 100 a transaction, one transaction at a time:
    // the first write alone, the other 59 in two transactions.
    expect(counts.get("TransactWriteItemsCommand")).toBeLessThanOrEqual(3);
    const stored = await client.send(
      new GetItemCommand({ TableName: table, Key: { id: { S: "b59" } } }),
    );
    expect(stored.Item?.v?.S).toBe("1");
  });

  it("a refused action fails its own write only; the others are written", async () => {
    const { client } = await testStores(testConfig("gc-refuse"));
    const table = await scratchTable(client);
    const commits = createGroupCommit({ client, keys: { [table]: ["id"] } });
    expect(await commits.write([putNew(table, "taken")])).toBeUndefined();
    const results = await Promise.all([
      commits.write([putNew(table, "x1")]),
      commits.write([putNew(table, "x2"), putNew(table, "taken", "2")]),
      commits.write([putNew(table, "x3")]),
    ]);
    expect(results).toEqual([undefined, ["None", "ConditionalCheckFailed"], undefined]);
    for (const [id, exists] of [
      ["x1", true],
      ["x2", false],
      ["x3", true],
    ] as const) {
      const got = await client.send(
        new GetItemCommand({ TableName: table, Key: { id: { S: id } } }),
      );
      expect(got.Item !== undefined, id).toBe(exists);
    }
    // "taken" kept its first value: the refused write changed nothing.
    const taken = await client.send(
      new GetItemCommand({ TableName: table, Key: { id: { S: "taken" } } }),
    );
    expect(taken.Item?.v?.S).toBe("1");
  });

  it("a single Put or Update goes without a transaction and reports its refusal", async () => {
    const { client } = await testStores(testConfig("gc-single"));
    const table = await scratchTable(client);
    const counts = countRequests(client);
    const commits = createGroupCommit({ client, keys: { [table]: ["id"] } });
    expect(await commits.write([putNew(table, "one")])).toBeUndefined();
    expect(await commits.write([putNew(table, "one")])).toEqual(["ConditionalCheckFailed"]);
    expect(counts.get("PutItemCommand")).toBe(2);
    expect(counts.get("TransactWriteItemsCommand")).toBeUndefined();
  });

  it("two different writes of one item go in separate transactions, in order", async () => {
    const { client } = await testStores(testConfig("gc-clash"));
    const table = await scratchTable(client);
    const commits = createGroupCommit({ client, keys: { [table]: ["id"] }, maxInFlight: 1 });
    // Hold the only lane so that the next three wait and are packed together.
    const first = commits.write([putNew(table, "p0"), putNew(table, "p1")]);
    const second = commits.write([putNew(table, "same", "first"), putNew(table, "p2")]);
    const clash = commits.write([putNew(table, "same", "second")]);
    const third = commits.write([putNew(table, "p3"), putNew(table, "p4")]);
    expect(await Promise.all([first, second, third])).toEqual([undefined, undefined, undefined]);
    // The clashing write went after the one before it, and found the item taken.
    expect(await clash).toEqual(["ConditionalCheckFailed"]);
  });

  it("the same write twice at once succeeds once: only condition checks are shared", async () => {
    const { client } = await testStores(testConfig("gc-twice"));
    const table = await scratchTable(client);
    const commits = createGroupCommit({ client, keys: { [table]: ["id"] }, maxInFlight: 1 });
    // As a worker starting a run delivered twice in one batch: the same condition check
    // and the same conditional Put, in the same millisecond.
    const start = (): TransactWriteItem[] => [
      {
        ConditionCheck: {
          TableName: table,
          Key: { id: { S: "job" } },
          ConditionExpression: "attribute_exists(id)",
        },
      },
      putNew(table, "run", "started"),
    ];
    await commits.write([putNew(table, "job")]);
    // Hold the only lane so that both starts wait and are packed together.
    const hold = commits.write([putNew(table, "other")]);
    const twice = [commits.write(start()), commits.write(start())];
    await hold;
    expect((await Promise.all(twice)).map((r) => r?.at(-1) ?? "written").sort()).toEqual([
      "ConditionalCheckFailed",
      "written",
    ]);
  });

  it("claims of many partitions share transactions; a stale fence fails only its partition", async () => {
    const config = testConfig("gc-claims", { PARTITIONS: "8" });
    const stores = await testStores(config);
    const counts = countRequests(stores.client);
    const now = Date.now();
    const jobs = Array.from({ length: 40 }, (_, i) => makeJob(8, { nextRunMs: now + 60_000 + i }));
    for (const job of jobs) await stores.jobs.createJob(job);
    const fences = new Map<number, Fence>();
    for (let p = 0; p < 8; p++) {
      const fence = { partition: p, epoch: 5, owner: "me" };
      expect(await stores.jobs.fencePartition(fence)).toBe(true);
      fences.set(p, fence);
    }
    // Another node took partition 3 at a later epoch.
    const stalePartition = 3;
    expect(
      await stores.jobs.fencePartition({ partition: stalePartition, epoch: 6, owner: "other" }),
    ).toBe(true);

    const byPartition = new Map<number, Claim[]>();
    for (let p = 0; p < 8; p++) {
      const due = await stores.jobs.dueJobs(p, now + 120_000, 100);
      byPartition.set(
        p,
        due.map((job: DueJob) => ({ job, nextRunMs: undefined, recoverAtMs: now + 90_000 })),
      );
    }
    expect(byPartition.get(stalePartition)?.length).toBeGreaterThan(0);
    const before = counts.get("TransactWriteItemsCommand") ?? 0;
    const results = await Promise.allSettled(
      [...byPartition].map(([p, claims]) => stores.jobs.claimRuns(claims, fences.get(p))),
    );
    const transactions = (counts.get("TransactWriteItemsCommand") ?? 0) - before;

    const stale = results[stalePartition]!;
    expect(stale.status).toBe("rejected");
    expect((stale as PromiseRejectedResult).reason).toBeInstanceOf(StaleOwnerError);
    for (const [p, result] of results.entries()) {
      if (p === stalePartition) continue;
      expect(result.status, `partition ${p}`).toBe("fulfilled");
      const won = (result as PromiseFulfilledResult<boolean[]>).value;
      expect(won.every(Boolean), `partition ${p}`).toBe(true);
    }
    // 40 claims from 8 partitions at once: far fewer transactions than claims.
    expect(transactions).toBeLessThan(20);
    for (const job of jobs) {
      const stored = await stores.jobs.getJob(DEFAULT_TENANT, job.id);
      // Claimed one-time jobs are finished; the stale partition's are untouched.
      expect(stored?.status, job.id).toBe(job.partition === stalePartition ? "ACTIVE" : "FINISHED");
    }
  });
});
