/**
 * A scheduler node that can reach etcd but not DynamoDB (a partition between
 * it and the store) would keep its partitions and fire none of their runs.
 * Past `store-outage-ms` it leaves the cluster, the other node takes its
 * partitions, and it rejoins once the store answers again. Node B reaches
 * DynamoDB through a forwarder the test closes and reopens.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../deploy/local/backends.js";
import { type Forwarder, startForwarder } from "../../../deploy/local/netns/forwarder.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const PARTITIONS = 8;

describe("a scheduler node cut off from the store but not from etcd", () => {
  let a: App;
  let b: App | undefined;
  let forwarder: Forwarder | undefined;
  let storeUrl: string;
  let port: number;
  let config: Config;

  beforeAll(async () => {
    const settings = { SESSION_TTL_MS: "2000", STORE_OUTAGE_MS: "1500" };
    config = testConfig("store-outage", { ...settings, ROLES: "api,scheduler,worker" });
    config = { ...config, cluster: { ...config.cluster, nodeId: "node-a" } };
    storeUrl = config.aws.dynamodbEndpoint;
    port = await freePort();
    forwarder = await startForwarder(storeUrl, "127.0.0.1", port);
    a = await startApp(config, { logger: silentLogger });
    b = await startApp(
      {
        ...config,
        roles: ["scheduler"],
        aws: { ...config.aws, dynamodbEndpoint: forwarder.url },
        cluster: { ...config.cluster, nodeId: "node-b" },
      },
      { logger: silentLogger },
    );
    await waitFor("both nodes to own partitions", () =>
      (a.scheduler?.owned().length ?? 0) > 0 &&
      (b?.scheduler?.owned().length ?? 0) > 0 &&
      a.scheduler!.owned().length + b!.scheduler!.owned().length === PARTITIONS
        ? true
        : undefined,
    );
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await forwarder?.close();
  });

  it("gives its partitions up past the outage bound, their runs fire on the other node, and it rejoins once the store answers", async () => {
    const jobs = jobClient(a.apiUrl!);
    const start = Date.now() + 1_000;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const created = await jobs.createJob({
        name: `every second ${i}`,
        owner: "store-outage",
        schedule: {
          kind: { case: "cron", value: "* * * * * *" },
          startTime: timestampFromMs(start),
          endTime: timestampFromMs(start + 60_000),
        },
        target: { kind: { case: "noop", value: {} } },
      });
      ids.push(created.job!.id);
    }
    await forwarder!.close();
    forwarder = undefined;
    const cutAt = Date.now();
    await waitFor("node b to give up its partitions", () =>
      b!.scheduler!.owned().length === 0 ? true : undefined,
    );
    await waitFor("node a to own every partition", () =>
      a.scheduler!.owned().length === PARTITIONS ? true : undefined,
    );
    // Every job, whichever partition it is in, fires while b is still cut off.
    const firedAfter = cutAt + 2_000;
    for (const jobId of ids) {
      await waitFor(`a run of ${jobId} while node b is cut off`, async () => {
        const { executions } = await jobs.listExecutions({ jobId, pageSize: 50 });
        return (
          executions.some(
            (e) =>
              e.status === ExecutionStatus.SUCCEEDED &&
              Number(e.scheduledTime!.seconds) * 1000 > firedAfter,
          ) || undefined
        );
      });
    }
    expect(b!.scheduler!.owned()).toHaveLength(0);
    forwarder = await startForwarder(storeUrl, "127.0.0.1", port);
    await waitFor("node b to rejoin and own partitions again", () =>
      (b!.scheduler!.owned().length ?? 0) > 0 ? true : undefined,
    );
  }, 90_000);
});
