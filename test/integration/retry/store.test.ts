/**
 * The store side of retries, below the worker: a retry recorded but never
 * sent (its worker died between the transaction and the send) is sent by the
 * recovery sweep. (Adding the dead index to an older table is in
 * test/e2e/dead-index-upgrade.test.ts.)
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
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
      tenant: DEFAULT_TENANT,
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
});
