/**
 * A start is a conditional Put, then a read of the job. When that read
 * fails (the store throttles or goes away between the two), the start is
 * taken back: a fresh attempt's record goes, a re-queued (QUEUED) attempt's
 * record comes back as it was, so the message's next delivery starts it.
 * A Put whose answer is lost and which the SDK sends again is still the
 * caller's. The failures are injected with SDK middleware on DynamoDB Local.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { executionId, type RunRef } from "../../../src/core/execution.js";
import { StartInDoubt } from "../../../src/core/ports/execution-store.js";
import { testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";

/** Fails the next `command` on `table` (as an unavailable store would) while `armed.on`. */
function failNext(client: DynamoDBClient, command: string, table: string) {
  const armed = { on: false };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string };
      if (armed.on && context.commandName === command && input.TableName === table) {
        armed.on = false;
        throw Object.assign(new Error("injected: store unavailable"), {
          name: "InternalServerError",
        });
      }
      return next(args);
    },
    { step: "initialize", name: `failNext${command}${table}` },
  );
  return armed;
}

/** Fails the next GetItem of the jobs table (the start's status read) while `armed.on`. */
const failJobReads = (client: DynamoDBClient, jobsTable: string) =>
  failNext(client, "GetItemCommand", jobsTable);

/** The first attempt of a job's next run. */
function firstRun(job: ReturnType<typeof makeJob>): RunRef {
  return {
    tenant: job.tenant,
    jobId: job.id,
    partition: job.partition,
    scheduledMs: job.nextRunMs!,
    attempt: 1,
    manual: false,
  };
}

/**
 * Writes the next Put of the executions table and then fails it as a lost
 * answer would (a 500 after the write): inside the SDK's retry loop, so the
 * SDK sends it again and that retry is refused by the record it wrote.
 */
function loseNextPutAnswer(client: DynamoDBClient, table: string) {
  const armed = { on: false };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string };
      const out = await next(args);
      if (armed.on && context.commandName === "PutItemCommand" && input.TableName === table) {
        armed.on = false;
        throw Object.assign(new Error("injected: answer lost"), {
          name: "InternalServerError",
          $fault: "server",
          $metadata: { httpStatusCode: 500 },
        });
      }
      return out;
    },
    { step: "deserialize", name: "loseNextPutAnswer" },
  );
  return armed;
}

describe("a start whose answer is lost", () => {
  it("is its own when the SDK's retry finds the record it wrote: started, not a duplicate", async () => {
    const config = testConfig("start-lost-answer");
    const stores = await testStores(config);
    const armed = loseNextPutAnswer(stores.client, `${config.store.tablePrefix}executions`);
    const job = makeJob(8);
    await stores.jobs.createJob(job);
    const run = firstRun(job);
    armed.on = true;
    expect(await stores.executions.startExecution(run, "w1", 1000)).toBe("started");
    expect(armed.on).toBe(false);
    // Another delivery of the same run is a duplicate.
    expect(await stores.executions.startExecution(run, "w1", 1000)).toBe("duplicate");
  });
});

describe("a start whose job read fails", () => {
  it("is taken back: a fresh attempt leaves no record, a re-queued one is QUEUED again; both start on the next try", async () => {
    const config = testConfig("start-undo");
    const stores = await testStores(config);
    const armed = failJobReads(stores.client, `${config.store.tablePrefix}jobs`);
    const job = makeJob(8);
    await stores.jobs.createJob(job);
    const run = firstRun(job);
    armed.on = true;
    await expect(stores.executions.startExecution(run, "w1", 1000)).rejects.toThrow();
    expect(await stores.executions.getExecution(DEFAULT_TENANT, executionId(run))).toBeUndefined();
    expect(await stores.executions.startExecution(run, "w1", 2000)).toBe("started");

    // Attempt 2, re-queued after its worker was lost: QUEUED with a recheck time.
    const running = (await stores.executions.getExecution(DEFAULT_TENANT, executionId(run)))!;
    const now = Date.now();
    const next = (await stores.executions.requeue(running, "worker lost", now, now + 5000))!;
    armed.on = true;
    await expect(stores.executions.startExecution(next, "w2", 3000)).rejects.toThrow();
    expect((await stores.executions.getExecution(DEFAULT_TENANT, executionId(next)))?.status).toBe(
      "QUEUED",
    );
    const queued = await stores.executions.queuedAttempts(job.partition, now, now + 5000, 100);
    expect(queued.items.map((q) => q.run)).toContainEqual(next);
    expect(await stores.executions.startExecution(next, "w2", 4000)).toBe("started");
  });
});

describe("a start whose job read and take-back both fail", () => {
  it("is in doubt: the record stays RUNNING and the starting worker's, and a redelivery is a duplicate", async () => {
    const config = testConfig("start-doubt");
    const stores = await testStores(config);
    const reads = failJobReads(stores.client, `${config.store.tablePrefix}jobs`);
    const deletes = failNext(
      stores.client,
      "DeleteItemCommand",
      `${config.store.tablePrefix}executions`,
    );
    const job = makeJob(8);
    await stores.jobs.createJob(job);
    const run = firstRun(job);
    reads.on = true;
    deletes.on = true;
    await expect(stores.executions.startExecution(run, "w1", 1000)).rejects.toBeInstanceOf(
      StartInDoubt,
    );
    expect(await stores.executions.getExecution(DEFAULT_TENANT, executionId(run))).toMatchObject({
      status: "RUNNING",
      workerId: "w1",
    });
    // Another worker's delivery: the record is w1's to settle (or the lost-worker check's).
    expect(await stores.executions.startExecution(run, "w2", 2000)).toBe("duplicate");
  });
});
