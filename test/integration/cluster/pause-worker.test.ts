/**
 * PauseWorker and ResumeWorker against real etcd, DynamoDB Local and the SQS
 * emulator, with in-process app instances (an API + scheduler node and a
 * worker): a paused worker takes no new runs while the runs it holds finish,
 * stays paused across a restart with the same id, and takes runs again once
 * resumed. Bad inputs of these RPCs and of a job's `priority` get their codes.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterService } from "../../../gen/chronoring/v1/cluster_service_pb.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { Priority } from "../../../gen/chronoring/v1/priority_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const WORKER = "w-pause";
const SCHEDULER = "sched-pause";

function noopJob(sleepMs: number, extra: { priority?: Priority } = {}) {
  return {
    name: "pause test",
    owner: "pause",
    schedule: { kind: { case: "at" as const, value: timestampFromMs(Date.now()) } },
    target: {
      kind: {
        case: "noop" as const,
        value: {
          sleep: { seconds: BigInt(Math.floor(sleepMs / 1000)), nanos: (sleepMs % 1000) * 1e6 },
        },
      },
    },
    ...extra,
  };
}

async function codeOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: Code[e.code], message: e.rawMessage };
  }
  return { code: "OK", message: "" };
}

describe("pausing and resuming a worker through the API", () => {
  let config: Config;
  let api: App;
  let worker: App | undefined;
  let jobs: ReturnType<typeof jobClient>;
  let cluster: ReturnType<typeof createClient<typeof ClusterService>>;

  const startWorker = async () => {
    worker = await startApp(
      { ...config, roles: ["worker"], worker: { ...config.worker, id: WORKER, concurrency: 2 } },
      { logger: silentLogger },
    );
  };
  const member = async () => (await cluster.getCluster({})).members.find((m) => m.id === WORKER);
  const runsOf = async (jobId: string) =>
    (await jobs.listExecutions({ jobId, pageSize: 10 })).executions;

  beforeAll(async () => {
    config = testConfig("pause-worker", { ROLES: "api,scheduler", NODE_ID: SCHEDULER });
    api = await startApp(config, { logger: silentLogger });
    await untilOwning(api, config.store.partitions);
    jobs = jobClient(api.apiUrl!);
    cluster = createClient(ClusterService, createGrpcTransport({ baseUrl: api.apiUrl! }));
    await startWorker();
    await waitFor("the worker to join", async () => ((await member()) ? true : undefined));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it("stops new starts while held runs finish, survives a restart, and resumes", async () => {
    const held = await Promise.all([1, 2].map(() => jobs.createJob(noopJob(2500))));
    await waitFor("both runs to be RUNNING on the worker", async () => {
      const page = await jobs.listExecutions({
        workerId: WORKER,
        status: ExecutionStatus.RUNNING,
        pageSize: 10,
      });
      return page.executions.length === 2 ? true : undefined;
    });

    const paused = await cluster.pauseWorker({ workerId: WORKER });
    expect(paused.worker?.paused).toBe(true);
    expect(paused.worker?.inFlight).toBe(2);
    expect(paused.worker?.concurrency).toBe(2);
    // Pausing twice is harmless.
    expect((await cluster.pauseWorker({ workerId: WORKER })).worker?.paused).toBe(true);

    const waiting = await Promise.all([1, 2].map(() => jobs.createJob(noopJob(0))));
    // The runs it held finish normally.
    for (const { job } of held) {
      await waitFor("a held run to succeed", async () => {
        const [run] = await runsOf(job!.id);
        return run?.status === ExecutionStatus.SUCCEEDED ? true : undefined;
      });
    }
    // New runs are queued but not started while it is paused.
    await new Promise((r) => setTimeout(r, 1500));
    for (const { job } of waiting) expect(await runsOf(job!.id)).toEqual([]);
    expect((await member())?.paused).toBe(true);

    // A worker restarted with the same id stays paused: the pause is in etcd, not its session.
    await worker!.close();
    await startWorker();
    await waitFor("the restarted worker to join", async () =>
      (await member()) ? true : undefined,
    );
    expect((await member())?.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    for (const { job } of waiting) expect(await runsOf(job!.id)).toEqual([]);

    const resumed = await cluster.resumeWorker({ workerId: WORKER });
    expect(resumed.worker?.paused).toBe(false);
    for (const { job } of waiting) {
      await waitFor("a waiting run to succeed after resume", async () => {
        const [run] = await runsOf(job!.id);
        return run?.status === ExecutionStatus.SUCCEEDED ? true : undefined;
      });
    }
    expect((await member())?.paused).toBe(false);
  });

  it("answers bad PauseWorker and ResumeWorker requests with their codes", async () => {
    // Thunks, not promises: a second call made up front would reject unobserved.
    for (const call of [
      () => cluster.pauseWorker({ workerId: "" }),
      () => cluster.resumeWorker({ workerId: "" }),
    ]) {
      const { code, message } = await codeOf(call());
      expect(code).toBe("InvalidArgument");
      expect(message.startsWith("worker_id: ")).toBe(true);
    }
    for (const call of [
      () => cluster.pauseWorker({ workerId: "no-such-worker" }),
      () => cluster.resumeWorker({ workerId: "no-such-worker" }),
    ]) {
      const { code, message } = await codeOf(call());
      expect(code).toBe("NotFound");
      expect(message).toMatch(/^worker_id: /);
    }
    const scheduler = await codeOf(cluster.pauseWorker({ workerId: SCHEDULER }));
    expect(scheduler.code).toBe("FailedPrecondition");
    expect(scheduler.message).toMatch(/scheduler/);
  });

  it("answers a bad priority with InvalidArgument naming it, and updates a valid one", async () => {
    const created = await codeOf(jobs.createJob(noopJob(0, { priority: 7 as Priority })));
    expect(created.code).toBe("InvalidArgument");
    expect(created.message.startsWith("priority: ")).toBe(true);

    const { job } = await jobs.createJob({
      ...noopJob(0),
      schedule: { kind: { case: "cron", value: "0 0 1 1 *" } },
    });
    expect(job?.priority).toBe(Priority.MEDIUM);
    const updated = await codeOf(
      jobs.updateJob({
        job: { ...job!, priority: 9 as Priority },
        updateMask: { paths: ["priority"] },
      }),
    );
    expect(updated.code).toBe("InvalidArgument");
    expect(updated.message.startsWith("job.priority: ")).toBe(true);

    const { job: low } = await jobs.updateJob({
      job: { ...job!, priority: Priority.LOW },
      updateMask: { paths: ["priority"] },
    });
    expect(low?.priority).toBe(Priority.LOW);
    expect((await jobs.getJob({ id: job!.id })).job?.priority).toBe(Priority.LOW);
    const { job: medium } = await jobs.updateJob({
      job: { ...job!, priority: Priority.UNSPECIFIED },
      updateMask: { paths: ["priority"] },
    });
    expect(medium?.priority).toBe(Priority.MEDIUM);
  });
});

describe("pausing a worker without etcd", () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp(testConfig("pause-standalone", { ETCD_ENDPOINTS: "", ROLES: "api" }), {
      logger: silentLogger,
    });
  });
  afterAll(() => app?.close());

  it("is FailedPrecondition: the service runs standalone", async () => {
    const cluster = createClient(ClusterService, createGrpcTransport({ baseUrl: app.apiUrl! }));
    const { code, message } = await codeOf(cluster.pauseWorker({ workerId: "w1" }));
    expect(code).toBe("FailedPrecondition");
    expect(message).toMatch(/standalone/);
  });
});
