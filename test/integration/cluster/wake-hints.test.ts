/**
 * Wake hints against real etcd, DynamoDB Local and the SQS emulator, with
 * in-process app instances: an API node that runs no scheduler, and a
 * scheduler + worker node whose periodic poll (30 s) would come far too
 * late. A job created through the API node fires on time because the hint
 * reaches the scheduler through etcd; a recurring job keeps firing every
 * second because each claim tells the scheduler when the job runs next.
 */
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const noop = { kind: { case: "noop" as const, value: {} } };
/** On time, with room for a shared machine; the periodic poll would be up to 30 s late. */
const ON_TIME_MS = 1_500;

describe("wake hints from an API node to the scheduler nodes", () => {
  let config: Config;
  let api: App;
  let node: App;
  let jobs: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    config = testConfig("wake-hints", {
      POLL_INTERVAL_MS: "30000",
      POLL_BACKSTOP_MS: "30000",
      LOOKAHEAD_MS: "1000",
      NODE_ID: "sched-wake",
      WORKER_ID: "worker-wake",
    });
    node = await startApp({ ...config, roles: ["scheduler", "worker"] }, { logger: silentLogger });
    await untilOwning(node, config.store.partitions);
    api = await startApp({ ...config, roles: ["api"] }, { logger: silentLogger });
    jobs = jobClient(api.apiUrl!);
    // Let the first periodic polls pass: from here on only hints wake a partition early.
    await new Promise((r) => setTimeout(r, 500));
  });
  afterAll(async () => {
    await api?.close();
    await node?.close();
  });

  async function runsOf(jobId: string, count: number) {
    return waitFor(
      `${count} runs of ${jobId}`,
      async () => {
        const { executions } = await jobs.listExecutions({ jobId, pageSize: 100 });
        const done = executions.filter((e) => e.status === ExecutionStatus.SUCCEEDED);
        return done.length >= count ? done : undefined;
      },
      20_000,
    );
  }

  it("a job created on another node fires on time, and its hint is in etcd", async () => {
    const at = Date.now() + 2_000;
    const { job } = await jobs.createJob({
      name: "soon",
      owner: "wake",
      schedule: { kind: { case: "at", value: timestampFromMs(at) } },
      target: noop,
    });
    const [run] = await runsOf(job!.id, 1);
    expect(timestampMs(run!.queueTime!) - at).toBeLessThan(ON_TIME_MS);

    const etcd = new Etcd3({ hosts: config.etcd.endpoints });
    try {
      const hint = await etcd.namespace(config.etcd.prefix).get(`wake/${job!.partition}`).string();
      expect(Number(hint)).toBe(at);
    } finally {
      etcd.close();
    }
    const metrics = await api.registry.metrics();
    expect(metrics).toMatch(/chronoring_wake_hints_total\{result="sent"\} [1-9]/);
  });

  it("a job every second keeps firing on time with a 30 s poll interval", async () => {
    const { job } = await jobs.createJob({
      name: "every second",
      owner: "wake",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: noop,
    });
    const created = Date.now();
    const runs = await runsOf(job!.id, 4);
    const late = runs
      .map((e) => ({
        scheduled: timestampMs(e.scheduledTime!),
        late: timestampMs(e.queueTime!) - timestampMs(e.scheduledTime!),
      }))
      .filter((r) => r.scheduled > created && r.late >= ON_TIME_MS);
    expect(late).toEqual([]);
    await jobs.deleteJob({ id: job!.id });
  });
});
