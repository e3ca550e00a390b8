/**
 * Checkpoints: an attempt saves progress, its worker is declared lost (the
 * store's requeue, as the leader does it, then a send), and the next attempt
 * starts with that checkpoint; GetExecution shows it on both attempts.
 * Real app on DynamoDB Local and the SQS emulator.
 */

import { timestampMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import type { JobHandler } from "../../../src/worker/handlers/registry.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

describe("a re-queued attempt receives the last checkpoint", () => {
  let app: App;
  let config: Config;
  let client: ReturnType<typeof jobClient>;
  let release: () => void = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  const starts: Array<{ attempt: number; last: string | undefined }> = [];

  /** Attempt 1 saves two checkpoints and then hangs, as a worker that died would. */
  const handler: JobHandler = {
    type: "noop",
    async run(_target, ctx) {
      const last = ctx.lastCheckpoint ? Buffer.from(ctx.lastCheckpoint).toString() : undefined;
      starts.push({ attempt: ctx.attempt, last });
      if (ctx.attempt === 1) {
        await ctx.checkpoint!("page-3");
        await ctx.checkpoint!(Buffer.from("page-7"));
        await released;
        return { ok: true, summary: "attempt 1 done late" };
      }
      return { ok: true, summary: `resumed from ${last}` };
    },
  };

  beforeAll(async () => {
    config = testConfig("checkpoint", { ETCD_ENDPOINTS: "" });
    app = await startApp(config, { logger: silentLogger, handlers: [handler] });
    client = jobClient(app.apiUrl!);
  });
  afterAll(async () => {
    release();
    await app?.close();
  });

  it("carries it from attempt 1 to attempt 2 and shows it in GetExecution", async () => {
    const { job } = await client.createJob({
      name: "long import",
      owner: "checkpoint",
      schedule: { kind: { case: "after", value: { seconds: 0n, nanos: 0 } } },
      target: { kind: { case: "noop", value: {} } },
    });
    const first = await waitFor("attempt 1 to save its checkpoint", async () => {
      const { executions } = await client.listExecutions({ jobId: job!.id });
      const e = executions.find((x) => x.attempt === 1);
      return e && Buffer.from(e.checkpoint).toString() === "page-7" ? e : undefined;
    });
    expect(first.status).toBe(ExecutionStatus.RUNNING);

    // The leader's failover for a lost worker: requeue (carries the checkpoint), then send.
    const stores = await testStores(config);
    try {
      const running = await stores.executions.getExecution(DEFAULT_TENANT, first.id);
      const next = await stores.executions.requeue(
        running!,
        "worker lost",
        Date.now(),
        Date.now() + 60_000,
      );
      expect(next?.attempt).toBe(2);
      await stores.queue.send([next!]);
    } finally {
      stores.client.destroy();
    }

    const second = await waitFor("attempt 2 to succeed", async () => {
      const id = `${job!.id}:${timestampMs(first.scheduledTime!)}:2`;
      const { execution } = await client.getExecution({ id });
      return execution?.status === ExecutionStatus.SUCCEEDED ? execution : undefined;
    });
    expect(starts).toEqual([
      { attempt: 1, last: undefined },
      { attempt: 2, last: "page-7" },
    ]);
    expect(second.result).toBe("resumed from page-7");
    expect(Buffer.from(second.checkpoint).toString()).toBe("page-7");

    // The lost attempt's late outcome does not count, nor can it checkpoint any more.
    release();
    const { execution: old } = await client.getExecution({ id: first.id });
    expect(old!.status).toBe(ExecutionStatus.FAILED);
    const stores2 = await testStores(config);
    try {
      expect(
        await stores2.executions.saveCheckpoint(first.id, config.worker.id, Buffer.from("x")),
      ).toBe(false);
    } finally {
      stores2.client.destroy();
    }
  });
});
