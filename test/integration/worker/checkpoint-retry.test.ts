/**
 * A retry resumes from the failed attempt's last checkpoint, as a re-queue
 * after a lost worker does, also when the job has run limits (the start then
 * goes through the limit counters). Real app on DynamoDB Local and the SQS
 * emulator.
 */

import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { JobHandler } from "../../../src/worker/handlers/registry.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

describe("a retried attempt receives the failed attempt's checkpoint", () => {
  let app: App;
  let client: ReturnType<typeof jobClient>;
  const starts: Array<{ job: string; attempt: number; last: string | undefined }> = [];

  /** Attempt 1 gets halfway, saves where it is, and fails; attempt 2 goes on from there. */
  const handler: JobHandler = {
    type: "noop",
    async run(_target, ctx) {
      const last = ctx.lastCheckpoint ? Buffer.from(ctx.lastCheckpoint).toString() : undefined;
      starts.push({ job: ctx.jobId, attempt: ctx.attempt, last });
      if (ctx.attempt === 1) {
        await ctx.checkpoint!("row-5000");
        return { ok: false, retryable: true, summary: "connection reset at row 5001" };
      }
      return { ok: true, summary: `resumed from ${last}` };
    },
  };

  beforeAll(async () => {
    const config = testConfig("checkpoint-retry", { ETCD_ENDPOINTS: "" });
    app = await startApp(config, { logger: silentLogger, handlers: [handler] });
    client = jobClient(app.apiUrl!);
  });
  afterAll(() => app?.close());

  async function resumed(limits?: { maxConcurrent: number }) {
    const { job } = await client.createJob({
      name: "import with retries",
      owner: "checkpoint",
      schedule: { kind: { case: "after", value: { seconds: 0n, nanos: 0 } } },
      target: { kind: { case: "noop", value: {} } },
      retryPolicy: { strategy: RetryStrategy.ON_FAILURE, retryDelay: durationFromMs(200) },
      ...(limits ? { limits } : {}),
    });
    const second = await waitFor("attempt 2 to succeed", async () => {
      const { executions } = await client.listExecutions({ jobId: job!.id });
      return executions.find((e) => e.attempt === 2 && e.status === ExecutionStatus.SUCCEEDED);
    });
    expect(second.result).toBe("resumed from row-5000");
    expect(Buffer.from(second.checkpoint).toString()).toBe("row-5000");
    expect(starts.filter((s) => s.job === job!.id).map(({ job: _, ...s }) => s)).toEqual([
      { attempt: 1, last: undefined },
      { attempt: 2, last: "row-5000" },
    ]);
  }

  it("carries it from the failed attempt 1 to attempt 2", () => resumed());

  it("carries it also when the job has limits", () => resumed({ maxConcurrent: 1 }));
});
