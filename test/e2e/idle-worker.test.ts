import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { executionId } from "../../src/core/execution.js";
import { testStores } from "../support/app.js";
import { jobClient } from "../support/client.js";
import { e2eCluster } from "../support/processes.js";
import { sideEffects } from "../support/side-effects.js";
import { waitFor } from "../support/wait.js";

const REQUEST_TIMEOUT_MS = 1500;
const START_TIMEOUT_MS = 3000;

describe("idle worker (real process, long polls longer than the AWS request timeout)", () => {
  const cluster = e2eCluster("idle-worker", {
    AWS_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    START_TIMEOUT_MS: String(START_TIMEOUT_MS),
  });
  const effects = sideEffects(cluster.dir);
  let stores: Awaited<ReturnType<typeof testStores>>;

  beforeAll(async () => {
    stores = await testStores(cluster.config);
  });
  afterAll(() => stores?.client.destroy());

  // A long poll cut by the request timeout leaves a receive open on the queue
  // that nobody reads: the next message goes to it and stays invisible for a
  // visibility timeout, until the recovery sweep sends the run again.
  it("a worker idle for longer than the request timeout gets the next run from its first send", async () => {
    const node = await cluster.start("node", ["api", "scheduler", "worker"]);
    await cluster.untilOwns(node);
    // Idle: every long poll outlives the request timeout.
    await new Promise((r) => setTimeout(r, 2 * REQUEST_TIMEOUT_MS));

    const at = Date.now() + 300;
    const { job } = await jobClient(node.apiUrl!).createJob({
      name: "after a quiet spell",
      owner: "e2e",
      schedule: { kind: { case: "at", value: timestampFromMs(at) } },
      target: effects.target(),
    });
    const id = executionId({ jobId: job!.id, scheduledMs: at, attempt: 1 });
    const done = await waitFor(
      "the run to succeed",
      async () => {
        const e = await stores.executions.getExecution(DEFAULT_TENANT, id);
        return e?.status === "SUCCEEDED" ? e : undefined;
      },
      30_000,
    );
    console.log(`idle-worker: scheduled → started ${done.startedMs! - at} ms`);
    // Started from the scheduler's own send, not from the sweep's re-send.
    expect(done.startedMs! - at).toBeLessThan(START_TIMEOUT_MS);
    expect(await cluster.metric(node, "chronoring_runs_resent_total")).toBe(0);
    expect(effects.starts(id)).toBe(1);
  });
});
