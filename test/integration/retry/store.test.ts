/**
 * The store side of retries, below the worker: a retry recorded but never
 * sent (its worker died between the transaction and the send) is sent by the
 * recovery sweep; ensureTables adds the dead index to a table made before it.
 */

import { CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { DEAD_INDEX } from "../../../src/adapters/dynamodb/dead-index.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

describe("retries in the store", () => {
  let config: Config;
  let app: App;
  let adapters: ReturnType<typeof createAdapters>;

  beforeAll(async () => {
    config = testConfig("retry-store", { START_TIMEOUT_MS: "1000" });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    adapters = createAdapters(config);
  });
  afterAll(async () => {
    await app?.close();
    adapters?.dynamo.destroy();
  });

  it("sends a retry that was recorded but never sent (its worker died) when its recheck time passes", async () => {
    const client = jobClient(app.apiUrl!);
    const { job } = await client.createJob({
      name: "lost retry",
      owner: "retries",
      schedule: { kind: { case: "cron", value: "0 3 * * *" } },
      target: { kind: { case: "noop", value: {} } },
    });
    const now = Date.now();
    const run = {
      jobId: job!.id,
      partition: job!.partition,
      scheduledMs: now - 60_000,
      attempt: 1,
      manual: false,
    };
    // A worker that is gone: it started attempt 1, recorded the retry, and died before sending it.
    expect(await adapters.executions.startExecution(run, "ghost", now)).toBe("started");
    const next = await adapters.retries.scheduleRetry(
      run,
      "ghost",
      { error: "HTTP 503", endedMs: now },
      { dueMs: now + 500, recheckAtMs: now + 1500 },
    );
    expect(next?.attempt).toBe(2);
    // The same transaction again (a duplicate) records nothing more.
    expect(
      await adapters.retries.scheduleRetry(
        run,
        "ghost",
        { error: "HTTP 503", endedMs: now },
        { dueMs: now + 500, recheckAtMs: now + 1500 },
      ),
    ).toBeUndefined();
    const started = await waitFor(
      "the sweep to send attempt 2 and a worker to run it",
      async () => {
        const { executions } = await client.listExecutions({ jobId: job!.id });
        const second = executions.find((e) => e.attempt === 2);
        return second?.status === ExecutionStatus.SUCCEEDED ? second : undefined;
      },
    );
    // Not before its recheck time: nothing else sends a stored retry.
    expect(Number(started.startTime!.seconds) * 1000 + 999).toBeGreaterThanOrEqual(now + 1500);
    const first = await client.getExecution({ id: `${job!.id}:${run.scheduledMs}:1` });
    expect(first.execution?.status).toBe(ExecutionStatus.FAILED);
  });

  it("adds the dead index to an executions table created without it", async () => {
    // A table as it was before the dead index: the executions table's shape
    // without that index, under a prefix of its own. (Deleting the index from
    // a live table instead takes DynamoDB Local minutes when it is busy.)
    const old = testConfig("retry-store-old");
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
      const { items } = await oldAdapters.retries.listDead({ pageSize: 10 });
      expect(items).toEqual([]);
    } finally {
      oldAdapters.dynamo.destroy();
    }
  });
});
