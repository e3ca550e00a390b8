/**
 * Every service through `@grpc/grpc-js` with `@grpc/proto-loader`: a gRPC
 * implementation independent of the server's (connect-node) and of `gen/`,
 * against a real app (api + scheduler + worker in cluster mode, on etcd,
 * DynamoDB Local and the SQS emulator). Per service a realistic sequence of
 * calls, and the codes of a bad input and of an unknown id; then that the
 * client sends a bearer token as `authorization` metadata. Auth is on: every
 * call carries an admin token, as a deployment's clients would.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import {
  failureOf,
  type GrpcJsClient,
  type GrpcJsClientOptions,
  grpcJsClient,
  type Message,
  type ServiceName,
} from "../../support/grpc-js.js";
import { startRecordingGrpcServer } from "../../support/recording-grpc-server.js";
import { waitFor } from "../../support/wait.js";

const NODE = "grpcjs-node";
const WORKER = "grpcjs-worker";
const OWNER = "grpc-js";
const UNKNOWN_JOB = `job_${"0".repeat(26)}`;
/** Every client sends the admin token minted in beforeAll. */
const clientOptions: GrpcJsClientOptions = {};

const noop = (sleepMs = 0) => ({
  noop: { sleep: { seconds: String(Math.floor(sleepMs / 1000)), nanos: (sleepMs % 1000) * 1e6 } },
});
const iso = (t: Message | null | undefined) =>
  t ? new Date(Number(t.seconds) * 1000 + t.nanos / 1e6).toISOString() : undefined;

describe("@grpc/grpc-js against a real app (cluster mode)", () => {
  let app: App;
  let auth: TestAuth;
  const clients = new Map<ServiceName, GrpcJsClient>();
  const svc = (name: ServiceName) => {
    const c = clients.get(name) ?? grpcJsClient(app.apiUrl!, name, clientOptions);
    clients.set(name, c);
    return c;
  };
  const jobs = () => svc("JobService");

  async function runsOf(jobId: string): Promise<Message[]> {
    return (await jobs().call("ListExecutions", { jobId, pageSize: 50 })).executions;
  }
  async function untilRun(jobId: string, status: string): Promise<Message> {
    return waitFor(`a ${status} run of ${jobId}`, async () =>
      (await runsOf(jobId)).find((e) => e.status === status),
    );
  }

  beforeAll(async () => {
    auth = await testAuth();
    clientOptions.token = await auth.token({ roles: ["admin"], sub: "grpc-js" });
    const config = testConfig("grpc-js", {
      NODE_ID: NODE,
      WORKER_ID: WORKER,
      ...auth.settings,
    });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
  });
  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await app?.close();
    auth?.cleanup();
  });

  it("JobService: create, get, list, update with a mask, pause, resume, trigger, executions, preview, delete", async () => {
    const { job } = await jobs().call("CreateJob", {
      name: "nightly",
      owner: OWNER,
      tags: ["grpc-js"],
      schedule: { cron: "0 3 * * *", timeZone: "Europe/Berlin" },
      target: noop(),
    });
    expect(job.id).toMatch(/^job_[a-z0-9]{26}$/);
    expect(job).toMatchObject({ status: "JOB_STATUS_ACTIVE", version: "1", owner: OWNER });
    expect(job.schedule).toMatchObject({ kind: "cron", cron: "0 3 * * *" });
    expect(job.target.kind).toBe("noop");
    expect(Number(job.nextRunTime.seconds)).toBeGreaterThan(Date.now() / 1000);

    expect((await jobs().call("GetJob", { id: job.id })).job.name).toBe("nightly");
    const listed = await jobs().call("ListJobs", { owner: OWNER, tag: "grpc-js", pageSize: 10 });
    expect(listed.jobs.map((j: Message) => j.id)).toContain(job.id);

    const { job: updated } = await jobs().call("UpdateJob", {
      // Anchored an hour ahead: an interval without a start fires at once, and
      // that run could race the triggered one this test waits for.
      job: {
        id: job.id,
        name: "hourly",
        schedule: {
          interval: "1h",
          startTime: { seconds: String(Math.floor(Date.now() / 1000) + 3600) },
        },
        owner: "ignored",
      },
      updateMask: { paths: ["name", "schedule"] },
      expectedVersion: job.version,
    });
    expect(updated).toMatchObject({ name: "hourly", owner: OWNER, version: "2" });
    expect(updated.schedule).toMatchObject({ kind: "interval", interval: "1h" });

    expect((await jobs().call("PauseJob", { id: job.id })).job.status).toBe("JOB_STATUS_PAUSED");
    expect((await jobs().call("ResumeJob", { id: job.id })).job.status).toBe("JOB_STATUS_ACTIVE");

    const { execution } = await jobs().call("TriggerJob", { id: job.id });
    expect(execution).toMatchObject({ jobId: job.id, manual: true });
    const done = await untilRun(job.id, "EXECUTION_STATUS_SUCCEEDED");
    expect(done.id).toBe(execution.id);
    const got = (await jobs().call("GetExecution", { id: done.id })).execution;
    expect(got).toMatchObject({
      id: done.id,
      status: "EXECUTION_STATUS_SUCCEEDED",
      workerId: WORKER,
    });

    // Berlin springs forward on 2026-03-29: 02:30 does not exist and fires at 03:00 CEST.
    const preview = await jobs().call("PreviewSchedule", {
      schedule: { cron: "30 2 * * *", timeZone: "Europe/Berlin" },
      count: 3,
      after: { seconds: String(Date.parse("2026-03-27T00:00:00Z") / 1000), nanos: 0 },
    });
    expect(preview.fireTimes.map((f: Message) => iso(f.time))).toEqual([
      "2026-03-27T01:30:00.000Z",
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
    ]);

    expect((await jobs().call("DeleteJob", { id: job.id })).job.status).toBe(
      "JOB_STATUS_CANCELLED",
    );

    const bad = await failureOf(
      jobs().call("CreateJob", { name: "x", owner: OWNER, target: noop() }),
    );
    expect(bad.code).toBe("INVALID_ARGUMENT");
    expect(bad.message).toMatch(/^schedule: /);
    expect(await failureOf(jobs().call("GetJob", { id: UNKNOWN_JOB }))).toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("CalendarService: create, get, list, update, delete", async () => {
    const calendars = svc("CalendarService");
    const { calendar } = await calendars.call("CreateCalendar", {
      calendar: {
        name: "grpcjs-holidays",
        description: "closed days",
        excludedDates: ["2026-12-25"],
        excludedWeekdays: ["WEEKDAY_SUNDAY"],
      },
    });
    expect(calendar).toMatchObject({ name: "grpcjs-holidays", version: "1" });
    expect(calendar.excludedWeekdays).toEqual(["WEEKDAY_SUNDAY"]);
    const got = (await calendars.call("GetCalendar", { name: "grpcjs-holidays" })).calendar;
    expect(got.excludedDates).toEqual(["2026-12-25"]);
    const list = await calendars.call("ListCalendars", {});
    expect(list.calendars.map((c: Message) => c.name)).toContain("grpcjs-holidays");

    const { calendar: updated } = await calendars.call("UpdateCalendar", {
      calendar: { name: "grpcjs-holidays", excludedDates: ["2026-12-25", "2026-12-26"] },
      updateMask: { paths: ["excluded_dates"] },
      expectedVersion: "1",
    });
    expect(updated).toMatchObject({ version: "2", description: "closed days" });
    expect(updated.excludedDates).toEqual(["2026-12-25", "2026-12-26"]);

    await calendars.call("DeleteCalendar", { name: "grpcjs-holidays" });
    expect(
      await failureOf(calendars.call("GetCalendar", { name: "grpcjs-holidays" })),
    ).toMatchObject({ code: "NOT_FOUND" });
    const bad = await failureOf(calendars.call("CreateCalendar", { calendar: { name: "Caps" } }));
    expect(bad.code).toBe("INVALID_ARGUMENT");
    expect(bad.message).toMatch(/^calendar\.name: /);
  });

  it("WorkflowService: create, get, list, trigger, list runs, delete", async () => {
    const workflows = svc("WorkflowService");
    const { workflow } = await workflows.call("CreateWorkflow", {
      name: "extract-load",
      owner: OWNER,
      schedule: { at: { seconds: String(Math.floor(Date.now() / 1000) + 3600), nanos: 0 } },
      nodes: [
        { key: "extract", target: noop() },
        { key: "load", dependsOn: ["extract"], target: noop() },
      ],
    });
    expect(workflow.id).toMatch(/^wf_[a-z0-9]{26}$/);
    expect(workflow.nodes.map((n: Message) => [n.key, n.jobId.slice(0, 4)])).toEqual([
      ["extract", "job_"],
      ["load", "job_"],
    ]);
    expect((await workflows.call("GetWorkflow", { id: workflow.id })).workflow.name).toBe(
      "extract-load",
    );
    const list = await workflows.call("ListWorkflows", { owner: OWNER });
    expect(list.workflows.map((w: Message) => w.id)).toContain(workflow.id);

    const { runId } = await workflows.call("TriggerWorkflow", { id: workflow.id });
    expect(runId.startsWith(`${workflow.id}:`)).toBe(true);
    const run = await waitFor("the workflow run to succeed", async () => {
      const { runs } = await workflows.call("ListWorkflowRuns", { workflowId: workflow.id });
      return runs.find(
        (r: Message) => r.id === runId && r.status === "WORKFLOW_RUN_STATUS_SUCCEEDED",
      );
    });
    expect(run.nodes.map((n: Message) => [n.key, n.status])).toEqual([
      ["extract", "NODE_RUN_STATUS_SUCCEEDED"],
      ["load", "NODE_RUN_STATUS_SUCCEEDED"],
    ]);

    await workflows.call("DeleteWorkflow", { id: workflow.id });
    const cycle = await failureOf(
      workflows.call("CreateWorkflow", {
        name: "loop",
        owner: OWNER,
        schedule: { interval: "1h" },
        nodes: [
          { key: "a", dependsOn: ["b"], target: noop() },
          { key: "b", dependsOn: ["a"], target: noop() },
        ],
      }),
    );
    expect(cycle.code).toBe("INVALID_ARGUMENT");
    expect(cycle.message).toMatch(/^nodes: cycle: /);
    const unknown = await failureOf(workflows.call("GetWorkflow", { id: `wf_${"0".repeat(26)}` }));
    expect(unknown.code).toBe("NOT_FOUND");
  });

  it("DeadLetterService: a run made dead is listed, redriven, dead again and purged", async () => {
    const dead = svc("DeadLetterService");
    // Nothing listens on port 9: the call is refused, and with no retries left the run is dead.
    const { job } = await jobs().call("CreateJob", {
      name: "refused",
      owner: OWNER,
      schedule: { after: { seconds: "0", nanos: 0 } },
      target: { http: { method: "POST", url: "http://127.0.0.1:9/", timeout: { seconds: "2" } } },
      retryPolicy: { strategy: "RETRY_STRATEGY_ON_FAILURE", maxRetries: 0 },
    });
    const first = await untilRun(job.id, "EXECUTION_STATUS_DEAD");
    expect(first.error).toMatch(/^retries exhausted \(0 of 0\)/);
    const listed = await dead.call("ListDeadRuns", { jobId: job.id });
    expect(listed.executions.map((e: Message) => e.id)).toEqual([first.id]);

    const redriven = await dead.call("RedriveDeadRuns", { executionIds: [first.id] });
    expect(redriven.executions.map((e: Message) => [e.attempt, e.status])).toEqual([
      [2, "EXECUTION_STATUS_QUEUED"],
    ]);
    const second = await waitFor("the redriven attempt to die too", async () => {
      const { executions } = await dead.call("ListDeadRuns", { jobId: job.id });
      return executions.find((e: Message) => e.attempt === 2);
    });
    expect((await dead.call("PurgeDeadRuns", { executionIds: [second.id] })).purged).toBe(1);
    expect((await dead.call("ListDeadRuns", { jobId: job.id })).executions).toEqual([]);

    const bad = await failureOf(dead.call("ListDeadRuns", { jobId: "nope" }));
    expect(bad.code).toBe("INVALID_ARGUMENT");
    expect(bad.message).toMatch(/^job_id: /);
    const unknown = await failureOf(
      dead.call("PurgeDeadRuns", { executionIds: [`${UNKNOWN_JOB}:1700000000000:1`] }),
    );
    expect(unknown.code).toBe("NOT_FOUND");
  });

  it("ClusterService: get the cluster, list a worker's runs, pause and resume it", async () => {
    const cluster = svc("ClusterService");
    const state = await cluster.call("GetCluster", {});
    expect(state.leaderId).toBe(NODE);
    expect(state.partitions).toHaveLength(8);
    expect(state.partitions.every((p: Message) => p.nodeId === NODE)).toBe(true);
    const roles = Object.fromEntries(state.members.map((m: Message) => [m.id, m.role]));
    expect(roles).toMatchObject({ [NODE]: "scheduler", [WORKER]: "worker" });

    // A run that sleeps 3 s shows among the worker's runs while it runs.
    const { job } = await jobs().call("CreateJob", {
      name: "slow",
      owner: OWNER,
      schedule: { after: { seconds: "0", nanos: 0 } },
      target: noop(3000),
    });
    const running = await waitFor("the run on the worker", async () => {
      const { executions } = await cluster.call("ListWorkerRuns", { workerId: WORKER });
      return executions.find((e: Message) => e.jobId === job.id);
    });
    expect(running.workerId).toBe(WORKER);

    const paused = await cluster.call("PauseWorker", { workerId: WORKER });
    expect(paused.worker).toMatchObject({ id: WORKER, paused: true });
    const resumed = await cluster.call("ResumeWorker", { workerId: WORKER });
    expect(resumed.worker).toMatchObject({ id: WORKER, paused: false });

    const bad = await failureOf(cluster.call("PauseWorker", { workerId: "" }));
    expect(bad.code).toBe("INVALID_ARGUMENT");
    expect(bad.message).toMatch(/^worker_id: /);
    const unknown = await failureOf(cluster.call("ResumeWorker", { workerId: "no-such-worker" }));
    expect(unknown.code).toBe("NOT_FOUND");
  });

  it("TenantService: set a quota, get the tenant with its use, list tenants, reset", async () => {
    const tenants = svc("TenantService");
    const set = await tenants.call("UpdateTenantQuota", {
      quotas: { maxActiveSchedules: "1000" },
      updateMask: { paths: ["max_active_schedules"] },
    });
    expect(set.tenant).toMatchObject({
      tenant: "default",
      quotas: { maxActiveSchedules: "1000" },
      customQuotas: ["max_active_schedules"],
    });
    await jobs().call("CreateJob", {
      name: "counted",
      owner: OWNER,
      schedule: { cron: "0 0 1 1 *", timeZone: "UTC" },
      target: noop(),
    });
    const { tenant } = await tenants.call("GetTenant", {});
    expect(Number(tenant.usage.activeSchedules)).toBeGreaterThan(0);
    const { tenants: listed } = await tenants.call("ListTenants", {});
    expect(listed.map((t: Message) => t.tenant)).toContain("default");
    const reset = await tenants.call("UpdateTenantQuota", {
      resetMask: { paths: ["max_active_schedules"] },
    });
    expect(reset.tenant.customQuotas).toEqual([]);

    const bad = await failureOf(
      tenants.call("UpdateTenantQuota", { updateMask: { paths: ["max_jobs"] } }),
    );
    expect(bad.code).toBe("INVALID_ARGUMENT");
    expect(bad.message).toMatch(/^update_mask: /);
  });

  it("Health: Check the server and a service, Watch, and NotFound for an unknown service", async () => {
    const health = svc("Health");
    expect((await health.call("Check", {})).status).toBe("SERVING");
    expect((await health.call("Check", { service: "chronoring.v1.JobService" })).status).toBe(
      "SERVING",
    );
    const watch = health.stream("Watch", { service: "" });
    const first = await new Promise<Message>((resolve, reject) => {
      watch.once("data", resolve);
      watch.once("error", reject);
    });
    expect(first.status).toBe("SERVING");
    // Cancelling ends the stream with CANCELLED on this side; swallow that.
    watch.on("error", () => {});
    watch.cancel();
    const unknown = await failureOf(health.call("Check", { service: "nope.v1.Nope" }));
    expect(unknown.code).toBe("NOT_FOUND");
  });
});

describe("@grpc/grpc-js with a token", () => {
  it("sends `authorization: Bearer <token>` on every call, and none without a token", async () => {
    const server = await startRecordingGrpcServer(16, "authorization: token expired");
    try {
      const withToken = grpcJsClient(server.url, "JobService", { token: "t0k3n" });
      const without = grpcJsClient(server.url, "ClusterService");
      const failure = await failureOf(withToken.call("GetJob", { id: UNKNOWN_JOB }));
      expect(failure).toEqual({ code: "UNAUTHENTICATED", message: "authorization: token expired" });
      await failureOf(without.call("GetCluster", {}));
      withToken.close();
      without.close();
      expect(server.calls.map((c) => [c.path, c.headers.authorization])).toEqual([
        ["/chronoring.v1.JobService/GetJob", "Bearer t0k3n"],
        ["/chronoring.v1.ClusterService/GetCluster", undefined],
      ]);
    } finally {
      await server.close();
    }
  });
});
