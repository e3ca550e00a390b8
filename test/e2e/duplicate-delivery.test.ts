import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { executionId } from "../../src/core/execution.js";
import { testStores } from "../support/app.js";
import { localCredentials } from "../support/backends.js";
import { jobClient } from "../support/client.js";
import { e2eCluster, type Node } from "../support/processes.js";
import { sideEffects } from "../support/side-effects.js";
import { waitFor } from "../support/wait.js";

describe("duplicate deliveries (real processes, messages sent again to SQS)", () => {
  // Concurrency 1 and no intake buffer: a worker busy with one copy cannot
  // take the other (it asks for one message at a time), so two copies sent
  // together go to two workers.
  const cluster = e2eCluster("dup-delivery", {
    WORKER_CONCURRENCY: "1",
    WORKER_INTAKE_BUFFER: "0",
  });
  const effects = sideEffects(cluster.dir);
  let stores: Awaited<ReturnType<typeof testStores>>;
  let sqs: SQSClient;
  let queueUrl: string;
  let api: Node;
  let workers: Node[];

  beforeAll(async () => {
    [stores, api, ...workers] = await Promise.all([
      testStores(cluster.config),
      cluster.start("scheduler", ["api", "scheduler"]),
      cluster.start("worker-1", ["worker"]),
      cluster.start("worker-2", ["worker"]),
    ]);
    sqs = new SQSClient({
      endpoint: cluster.config.aws.sqsEndpoint,
      region: cluster.config.aws.region,
      credentials: localCredentials,
    });
    const out = await sqs.send(new GetQueueUrlCommand({ QueueName: `${cluster.prefix}runs` }));
    queueUrl = out.QueueUrl!;
    await cluster.untilOwns(api);
  });
  afterAll(() => {
    sqs?.destroy();
    stores?.client.destroy();
  });

  /** Sends `copies` messages with the body the scheduler sends for this run, in one batch. */
  async function sendRun(
    run: { jobId: string; partition: number; scheduledMs: number },
    copies: number,
  ) {
    const body = JSON.stringify({ ...run, attempt: 1, manual: false, sentMs: Date.now() });
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: copies }, (_, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
  }

  /** Per worker: [runs finished, duplicates skipped]. */
  const counts = () =>
    Promise.all(
      workers.map(async (w) => [
        await cluster.metric(w, "chronoring_runs_finished_total"),
        await cluster.metric(w, "chronoring_duplicate_deliveries_total"),
      ]),
    );

  async function queueEmpty() {
    return waitFor("the queue to be empty", async () => {
      const d = await stores.queue.depth();
      return d.visible + d.inFlight + d.delayed === 0 ? d : undefined;
    });
  }

  it("a redelivered SQS message does not run a job twice", async () => {
    const at = Date.now() + 1000;
    const { job } = await jobClient(api.apiUrl!).createJob({
      name: "once",
      owner: "e2e",
      schedule: { kind: { case: "at", value: timestampFromMs(at) } },
      target: effects.target(),
    });
    const run = { jobId: job!.id, partition: job!.partition, scheduledMs: at };
    const id = executionId({ ...run, attempt: 1 });
    const first = await waitFor("the scheduled run to succeed", async () => {
      const e = await stores.executions.getExecution(DEFAULT_TENANT, id);
      return e?.status === "SUCCEEDED" ? e : undefined;
    });
    await queueEmpty();
    const before = await cluster.metricSum("chronoring_duplicate_deliveries_total", workers);

    await sendRun(run, 1);

    await waitFor("a worker to skip the redelivery", async () => {
      const now = await cluster.metricSum("chronoring_duplicate_deliveries_total", workers);
      return now >= before + 1 ? now : undefined;
    });
    // Skipped and deleted, not left to come back.
    await queueEmpty();
    expect(await stores.executions.getExecution(DEFAULT_TENANT, id)).toEqual(first);
    const { items } = await stores.executions.listExecutions(DEFAULT_TENANT, {
      jobId: run.jobId,
      pageSize: 10,
    });
    expect(items).toHaveLength(1);
    expect(effects.starts(id)).toBe(1);
  });

  it("two copies of a run received at the same time by two workers run it once", async () => {
    // Due in an hour: no scheduler sends it; the two copies are the only messages.
    const at = Date.now() + 3_600_000;
    const { job } = await jobClient(api.apiUrl!).createJob({
      name: "sent twice",
      owner: "e2e",
      schedule: { kind: { case: "at", value: timestampFromMs(at) } },
      // Long enough that the worker that starts it is still busy when the other copy arrives.
      target: effects.target(1),
    });
    // The copies name a run of a time already past: a worker starts it on receipt
    // (one due later it would hold until then), and no scheduler claims that time.
    const run = { jobId: job!.id, partition: job!.partition, scheduledMs: Date.now() - 1_000 };
    const id = executionId({ ...run, attempt: 1 });
    await queueEmpty();
    const before = await counts();

    await sendRun(run, 2);

    await waitFor("the run to succeed", async () => {
      const e = await stores.executions.getExecution(DEFAULT_TENANT, id);
      return e?.status === "SUCCEEDED" ? e : undefined;
    });
    await queueEmpty();
    const after = await counts();
    const delta = after.map(([runs, dups], i) => [runs! - before[i]![0]!, dups! - before[i]![1]!]);
    console.log(
      `duplicate-delivery: ${workers.map((w, i) => `${w.name} ran ${delta[i]![0]}, skipped ${delta[i]![1]}`).join("; ")}`,
    );
    // One ran it, the other skipped its copy: every copy was handled by a different worker.
    expect(delta.reduce((a, [runs]) => a + runs!, 0)).toBe(1);
    expect(delta.reduce((a, [, dups]) => a + dups!, 0)).toBe(1);
    expect(delta.map(([runs, dups]) => runs! + dups!)).toEqual([1, 1]);
    const { items } = await stores.executions.listExecutions(DEFAULT_TENANT, {
      jobId: run.jobId,
      pageSize: 10,
    });
    expect(items.map((e) => [e.id, e.status])).toEqual([[id, "SUCCEEDED"]]);
    expect(effects.starts(id)).toBe(1);
  });
});
