/**
 * Retries and dead runs end to end: one process with the API, a scheduler
 * and a worker on DynamoDB Local and the SQS emulator, a local HTTP target
 * that fails on purpose, and the generated clients of JobService and
 * DeadLetterService. The queue's delay limit is shortened to 2 s so that a
 * "long" backoff (one that must wait in the store) takes seconds.
 */

import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Execution, ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { Backoff, RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { localCredentials } from "../../support/backends.js";
import { deadLetterClient, jobClient } from "../../support/client.js";
import { type FlakyServer, startFlakyServer } from "../../support/flaky-server.js";
import { waitFor } from "../../support/wait.js";

const NOW = { kind: { case: "after" as const, value: { seconds: 0n, nanos: 0 } } };
const seconds = (s: number) => ({ seconds: BigInt(s), nanos: 0 });

describe("retry policies and the dead letter queue", () => {
  let config: Config;
  let app: App;
  let jobs: ReturnType<typeof jobClient>;
  let dead: ReturnType<typeof deadLetterClient>;
  let target: FlakyServer;
  let sqs: SQSClient;
  let dlqUrl: string;

  beforeAll(async () => {
    config = testConfig("retries", { QUEUE_MAX_DELAY_MS: "2000" });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    jobs = jobClient(app.apiUrl!);
    dead = deadLetterClient(app.apiUrl!);
    target = await startFlakyServer();
    sqs = new SQSClient({
      endpoint: config.aws.sqsEndpoint,
      region: config.aws.region,
      credentials: localCredentials,
    });
    dlqUrl = (
      await sqs.send(new GetQueueUrlCommand({ QueueName: `${config.queue.prefix}runs-dead` }))
    ).QueueUrl!;
  });
  afterAll(async () => {
    await app?.close();
    await target?.close();
    sqs?.destroy();
  });

  async function createHttpJob(url: string, retryPolicy: Record<string, unknown> | undefined) {
    const { job } = await jobs.createJob({
      name: "flaky",
      owner: "retries",
      schedule: NOW,
      target: { kind: { case: "http", value: { url } } },
      ...(retryPolicy ? { retryPolicy } : {}),
    });
    return job!.id;
  }

  async function attempts(jobId: string): Promise<Execution[]> {
    const { executions } = await jobs.listExecutions({ jobId, pageSize: 100 });
    return [...executions].sort((a, b) => a.attempt - b.attempt);
  }

  /** Waits until the job's attempts have exactly these statuses, in attempt order. */
  function until(jobId: string, statuses: ExecutionStatus[], timeoutMs = 20_000) {
    const want = statuses.map((s) => ExecutionStatus[s]).join(",");
    return waitFor(
      `attempts of ${jobId} to be ${want}`,
      async () => {
        const list = await attempts(jobId);
        return list.map((e) => ExecutionStatus[e.status]).join(",") === want ? list : undefined;
      },
      timeoutMs,
    );
  }

  async function deadLetters(): Promise<Array<Record<string, unknown>>> {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? "{}") as Record<string, unknown>);
  }

  const { FAILED, DEAD, SUCCEEDED, QUEUED } = ExecutionStatus;

  it("retries until exhausted, records the run DEAD, dead-letters it, and a redrive succeeds", async () => {
    const jobId = await createHttpJob(target.url("exhaust", 3), {
      strategy: RetryStrategy.ALWAYS,
      maxRetries: 2,
      retryDelay: seconds(1),
    });
    const list = await until(jobId, [FAILED, FAILED, DEAD]);
    // Each failed attempt says when the next one is due; the dead one says why it died.
    for (const failed of list.slice(0, 2)) {
      expect(timestampMs(failed.nextAttemptTime!)).toBeGreaterThanOrEqual(
        timestampMs(failed.endTime!) + 1000,
      );
      expect(failed.error).toContain("HTTP 503");
    }
    const last = list[2]!;
    expect(last.error).toMatch(/^retries exhausted \(2 of 2\): HTTP 503/);
    expect(target.calls("exhaust").map((c) => c.executionId)).toEqual(list.map((e) => e.id));

    // On the dead list (all, and by job), with the error.
    const all = await dead.listDeadRuns({});
    expect(all.executions.map((e) => e.id)).toContain(last.id);
    const mine = await dead.listDeadRuns({ jobId });
    expect(mine.executions).toHaveLength(1);
    expect(mine.executions[0]!.status).toBe(DEAD);
    expect(mine.executions[0]!.error).toBe(last.error);

    // In the SQS dead letter queue.
    const message = await waitFor("the dead letter message", async () =>
      (await deadLetters()).find((m) => m.executionId === last.id),
    );
    expect(message).toMatchObject({ jobId, attempt: 3, error: last.error });
    expect(message.scheduledMs).toBe(timestampMs(last.scheduledTime!));

    // Redrive: a new attempt 4, which the target now accepts.
    const { executions } = await dead.redriveDeadRuns({ executionIds: [last.id] });
    expect(executions.map((e) => [e.attempt, e.status])).toEqual([[4, QUEUED]]);
    const after = await until(jobId, [FAILED, FAILED, DEAD, SUCCEEDED]);
    expect(after[3]!.id).toBe(executions[0]!.id);
    expect((await dead.listDeadRuns({ jobId })).executions).toHaveLength(0);
    // Redriving it again is refused: it left the dead list.
    const again = await dead.redriveDeadRuns({ executionIds: [last.id] }).catch((e) => e);
    expect(again).toBeInstanceOf(ConnectError);
    expect((again as ConnectError).code).toBe(Code.FailedPrecondition);
  });

  it("spaces exponential retries 1 s, 2 s, 4 s apart", async () => {
    const jobId = await createHttpJob(target.url("exp", 3), {
      strategy: RetryStrategy.ON_FAILURE,
      maxRetries: 5,
      backoff: Backoff.EXPONENTIAL,
      retryDelay: seconds(1),
      maxDelay: seconds(60),
    });
    await until(jobId, [FAILED, FAILED, FAILED, SUCCEEDED], 30_000);
    const at = target.calls("exp").map((c) => c.atMs);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Not early; late by at most the queue's receive latency on a shared machine.
    [1000, 2000, 4000].forEach((nominal, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(nominal - 50);
      expect(gaps[i]).toBeLessThan(nominal + 1500);
    });
  });

  it("keeps a retry longer than the queue's delay limit in the store and sends it when due, not before", async () => {
    const jobId = await createHttpJob(target.url("long", 1), {
      strategy: RetryStrategy.ON_FAILURE,
      maxRetries: 1,
      retryDelay: seconds(4),
    });
    const [failed, queued] = await until(jobId, [FAILED, QUEUED]);
    const dueMs = timestampMs(failed!.nextAttemptTime!);
    expect(queued!.attempt).toBe(2);
    await until(jobId, [FAILED, SUCCEEDED]);
    const [first, second] = target.calls("long");
    expect(second!.atMs).toBeGreaterThanOrEqual(dueMs);
    expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(4000);
    // Sent by the recovery sweep (every 500 ms here) once due.
    expect(second!.atMs - dueMs).toBeLessThan(3000);
    const metrics = await app.registry.getSingleMetricAsString(
      "chronoring_retries_scheduled_total",
    );
    expect(metrics).toMatch(/via="store"} [1-9]/);
  });

  it("ON_FAILURE stops at a permanent failure; ALWAYS retries it", async () => {
    const onFailure = await createHttpJob(target.url("perm-a", 99, 404), {
      strategy: RetryStrategy.ON_FAILURE,
      retryDelay: seconds(0),
    });
    const always = await createHttpJob(target.url("perm-b", 99, 404), {
      strategy: RetryStrategy.ALWAYS,
      maxRetries: 1,
      retryDelay: seconds(0),
    });
    const [stopped] = await until(onFailure, [DEAD]);
    expect(stopped!.error).toMatch(/^permanent failure: HTTP 404/);
    const retried = await until(always, [FAILED, DEAD]);
    expect(retried[1]!.error).toMatch(/^retries exhausted \(1 of 1\): HTTP 404/);
    // Without a policy a failure stays FAILED and is not dead-lettered.
    const plain = await createHttpJob(target.url("plain", 99, 500), undefined);
    const [failed] = await until(plain, [FAILED]);
    expect(failed!.nextAttemptTime).toBeUndefined();
    expect((await dead.listDeadRuns({ jobId: plain })).executions).toHaveLength(0);
  });

  it("a duplicate delivery of a failed attempt's message does not retry twice", async () => {
    const jobId = await createHttpJob(target.url("dup", 1), {
      strategy: RetryStrategy.ALWAYS,
      retryDelay: seconds(1),
    });
    const [first] = await until(jobId, [FAILED, SUCCEEDED]);
    // The queue hands attempt 1 out again, twice (a duplicate, a resend).
    const { queue } = createAdapters(config);
    await queue.init();
    const { job } = await jobs.getJob({ id: jobId });
    const run = {
      tenant: DEFAULT_TENANT,
      jobId,
      partition: job!.partition,
      scheduledMs: timestampMs(first!.scheduledTime!),
      attempt: 1,
      manual: false,
    };
    const duplicates = () =>
      app.registry.getSingleMetricAsString("chronoring_duplicate_deliveries_total");
    const before = Number(/ (\d+)$/m.exec(await duplicates())?.[1] ?? 0);
    await queue.send([run, run]);
    await waitFor("both deliveries to be skipped", async () =>
      Number(/ (\d+)$/m.exec(await duplicates())?.[1] ?? 0) >= before + 2 ? true : undefined,
    );
    expect((await attempts(jobId)).map((e) => ExecutionStatus[e.status])).toEqual([
      "FAILED",
      "SUCCEEDED",
    ]);
    expect(target.calls("dup")).toHaveLength(2);
  });

  it("purges one dead run, then all of them (the executions stay, the SQS queue is emptied)", async () => {
    const ids: string[] = [];
    for (const key of ["purge-a", "purge-b", "purge-c"]) {
      const jobId = await createHttpJob(target.url(key, 99, 400), {
        strategy: RetryStrategy.ON_FAILURE,
      });
      ids.push((await until(jobId, [DEAD]))[0]!.id);
    }
    const one = await dead.purgeDeadRuns({ executionIds: [ids[0]!] });
    expect(one.purged).toBe(1);
    const listed = (await dead.listDeadRuns({ pageSize: 500 })).executions.map((e) => e.id);
    expect(listed).not.toContain(ids[0]);
    expect(listed).toEqual(expect.arrayContaining([ids[1], ids[2]]));
    // Purged from the list, kept in the history.
    const kept = await jobs.getExecution({ id: ids[0]! });
    expect(kept.execution?.status).toBe(DEAD);

    const all = await dead.purgeDeadRuns({ all: true });
    expect(all.purged).toBe(listed.length);
    expect((await dead.listDeadRuns({})).executions).toHaveLength(0);
    expect(await deadLetters()).toEqual([]);
    const gone = await dead.purgeDeadRuns({ executionIds: [ids[1]!] }).catch((e) => e);
    expect((gone as ConnectError).code).toBe(Code.FailedPrecondition);
  });
});
