/**
 * A new etcd cluster beside tables an old one fenced (quorum lost for good,
 * a standby region): etcd counts revisions from the start again, while every
 * partition's fence in DynamoDB holds an epoch far above them. The first
 * leader publishes its epochs above the highest fence, so its node fences
 * every partition and fires; a restart on the same etcd carries that base.
 * Real etcd, DynamoDB Local and the SQS emulator; the old cluster's fences
 * are written as it would have (epochs 10^12 and up).
 */
import { afterEach, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, testStores, untilOwning } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const OLD_EPOCH = 1_000_000_000_000;

describe("epochs of a new etcd cluster over old fences", () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("start above the highest fence, fire, and keep their base across a restart", async () => {
    const config = testConfig("epoch-base", { WORKER_ID: "worker-new" });
    const partitions = config.store.partitions;
    const { jobs: store } = await testStores(config);
    for (let p = 0; p < partitions; p++) {
      expect(
        await store.fencePartition({ partition: p, epoch: OLD_EPOCH + p, owner: "node-old" }),
      ).toBe(true);
    }
    const highest = OLD_EPOCH + partitions - 1;
    expect(await store.highestFenceEpoch()).toBe(highest);

    const start = async (nodeId: string) => {
      const cluster = { ...config.cluster, nodeId };
      app = await startApp(
        { ...config, cluster, roles: ["api", "scheduler", "worker"] },
        { logger: silentLogger },
      );
      await untilOwning(app, partitions);
      return app;
    };
    const first = await start("node-new");
    const assignment = await first.coordinator!.readAssignment();
    expect(assignment?.base).toBe(highest);
    expect(assignment!.epoch).toBeGreaterThan(highest);
    expect(new Set(assignment!.since)).toEqual(new Set([assignment!.epoch]));

    const client = jobClient(first.apiUrl!);
    const { job } = await client.createJob({
      name: "every second",
      owner: "ops",
      schedule: { kind: { case: "interval", value: "1s" } },
      target: { kind: { case: "noop", value: {} } },
    });
    const succeeded = async (count: number, api: string) =>
      waitFor(
        `${count} runs`,
        async () => {
          const { executions } = await jobClient(api).listExecutions({
            jobId: job!.id,
            pageSize: 100,
          });
          const done = executions.filter((e) => e.status === ExecutionStatus.SUCCEEDED);
          return done.length >= count ? done.length : undefined;
        },
        20_000,
      );
    const before = await succeeded(2, first.apiUrl!);
    await first.close();
    app = undefined;

    // The same etcd again, another node: the base is carried, the epochs still grow.
    const second = await start("node-next");
    const again = await second.coordinator!.readAssignment();
    expect(again?.base).toBe(highest);
    expect(again!.epoch).toBeGreaterThan(assignment!.epoch);
    await succeeded(before + 2, second.apiUrl!);
    // Every partition's fence is now this cluster's.
    expect(await store.highestFenceEpoch()).toBeGreaterThan(highest);
  });
});
