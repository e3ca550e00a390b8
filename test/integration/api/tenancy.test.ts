/**
 * Tenants never see each other's data, through the real server (DynamoDB
 * Local, the SQS emulator, etcd): as tenant B, every call on tenant A's ids
 * answers NotFound with the message an unknown id gets, or an empty list, and
 * A's items are unchanged afterwards (read back from the store). The caller
 * comes from a test header (test/support/tenants.ts).
 */

import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CalendarService } from "../../../gen/chronoring/v1/calendar_service_pb.js";
import { ClusterService } from "../../../gen/chronoring/v1/cluster_service_pb.js";
import { DeadLetterService } from "../../../gen/chronoring/v1/dead_letter_service_pb.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { CalendarMode } from "../../../gen/chronoring/v1/schedule_pb.js";
import { WorkflowService } from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type App, startApp } from "../../../src/app.js";
import { executionId } from "../../../src/core/execution.js";
import { ALL_TENANTS } from "../../../src/core/tenant.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import { failure } from "../../support/client.js";
import { type TenantClient, tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

const A = "acme";
const B = "bobco";
const UNKNOWN_JOB = `job_${"0".repeat(26)}`;
const UNKNOWN_WF = `wf_${"0".repeat(26)}`;
const noop = (ms = 0) => ({
  kind: { case: "noop" as const, value: { sleep: durationFromMs(ms) } },
});
const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" }, timeZone: "UTC" };

interface Clients {
  jobs: Client<typeof JobService>;
  calendars: Client<typeof CalendarService>;
  dead: Client<typeof DeadLetterService>;
  workflows: Client<typeof WorkflowService>;
  cluster: Client<typeof ClusterService>;
}

function clientsOf(tenantClient: TenantClient, url: string, tenant: string): Clients {
  return {
    jobs: tenantClient(JobService, url, tenant),
    calendars: tenantClient(CalendarService, url, tenant),
    dead: tenantClient(DeadLetterService, url, tenant),
    workflows: tenantClient(WorkflowService, url, tenant),
    cluster: tenantClient(ClusterService, url, tenant),
  };
}

/** A's items, made once. */
interface Fixture {
  job: string;
  /** A finished execution of `job`. */
  execution: string;
  /** A job whose runs sleep a minute: one is RUNNING on a worker. */
  sleeper: string;
  dead: string;
  workflow: string;
  workflowRun: string;
  jobsToken: string;
}

describe("tenants never see each other's data", () => {
  let app: App;
  let auth: TestAuth;
  let a: Clients;
  let b: Clients;
  let fx: Fixture;
  let adapters: ReturnType<typeof createAdapters>;

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("tenancy", { WORKER_DRAIN_TIMEOUT_MS: "500", ...auth.settings });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    adapters = createAdapters(config);
    const tenantClient = tenantClients(auth);
    a = clientsOf(tenantClient, app.apiUrl!, A);
    b = clientsOf(tenantClient, app.apiUrl!, B);

    await a.calendars.createCalendar({
      calendar: { name: "holidays", excludedDates: ["2030-12-25"] },
    });
    const { job } = await a.jobs.createJob({
      name: "a's job",
      owner: "shared-owner",
      schedule: { ...yearly, calendar: { name: "holidays", mode: CalendarMode.SKIP } },
      target: noop(),
      idempotencyKey: "same-key",
    });
    // A second job, so that A's listing has a next page to hand to B.
    await a.jobs.createJob({ name: "a's other", owner: "o", schedule: yearly, target: noop() });
    const { execution } = await a.jobs.triggerJob({ id: job!.id });
    const { job: sleeper } = await a.jobs.createJob({
      name: "a's sleeper",
      owner: "o",
      schedule: yearly,
      target: noop(60_000),
    });
    await a.jobs.triggerJob({ id: sleeper!.id });

    // A dead run of A's job, as a worker records one (start, then dead).
    const deadRun = {
      tenant: A,
      jobId: job!.id,
      partition: job!.partition,
      scheduledMs: Date.now() - 60_000,
      attempt: 1,
      manual: true,
    };
    expect(await adapters.executions.startExecution(deadRun, "w-gone", Date.now())).toBe("started");
    expect(
      await adapters.retries.markDead(deadRun, "w-gone", { error: "boom", endedMs: Date.now() }),
    ).toBe(true);

    const { workflow } = await a.workflows.createWorkflow({
      name: "a's flow",
      owner: "shared-owner",
      schedule: { kind: { case: "at", value: timestampFromMs(Date.now() + 3_600_000) } },
      nodes: [{ key: "one", name: "", target: noop(), dependsOn: [] }],
    });
    const { runId } = await a.workflows.triggerWorkflow({ id: workflow!.id });
    await waitFor("A's workflow run to start", () =>
      a.workflows.getWorkflowRun({ id: runId }).then(
        (r) => r.run,
        () => undefined,
      ),
    );
    const page = await a.jobs.listJobs({ pageSize: 1 });
    expect(page.nextPageToken).not.toBe("");
    await waitFor("A's triggered run to end", async () => {
      const { execution: e } = await a.jobs.getExecution({ id: execution!.id });
      return e?.status === ExecutionStatus.SUCCEEDED ? e : undefined;
    });
    fx = {
      job: job!.id,
      execution: execution!.id,
      sleeper: sleeper!.id,
      dead: executionId(deadRun),
      workflow: workflow!.id,
      workflowRun: runId,
      jobsToken: page.nextPageToken,
    };
  }, 60_000);

  afterAll(async () => {
    adapters?.dynamo.destroy();
    await app?.close();
    auth?.cleanup();
  });

  /** Each call as B on A's ids: NotFound, with the message an unknown id of the same kind gets. */
  const notFound: Array<{
    name: string;
    call: (c: Clients, ids: Fixture) => Promise<unknown>;
    /** The same call on an unknown id (whose message must match, the id aside). */
    unknown: (c: Clients) => Promise<unknown>;
    id: (ids: Fixture) => string;
    unknownId: string;
  }> = [
    {
      name: "GetJob",
      call: (c, f) => c.jobs.getJob({ id: f.job }),
      unknown: (c) => c.jobs.getJob({ id: UNKNOWN_JOB }),
      id: (f) => f.job,
      unknownId: UNKNOWN_JOB,
    },
    {
      name: "UpdateJob",
      call: (c, f) =>
        c.jobs.updateJob({ job: { id: f.job, name: "taken" }, updateMask: { paths: ["name"] } }),
      unknown: (c) =>
        c.jobs.updateJob({ job: { id: UNKNOWN_JOB, name: "x" }, updateMask: { paths: ["name"] } }),
      id: (f) => f.job,
      unknownId: UNKNOWN_JOB,
    },
    {
      name: "DeleteJob",
      call: (c, f) => c.jobs.deleteJob({ id: f.job }),
      unknown: (c) => c.jobs.deleteJob({ id: UNKNOWN_JOB }),
      id: (f) => f.job,
      unknownId: UNKNOWN_JOB,
    },
    {
      name: "PauseJob",
      call: (c, f) => c.jobs.pauseJob({ id: f.job }),
      unknown: (c) => c.jobs.pauseJob({ id: UNKNOWN_JOB }),
      id: (f) => f.job,
      unknownId: UNKNOWN_JOB,
    },
    {
      name: "ResumeJob",
      call: (c, f) => c.jobs.resumeJob({ id: f.job }),
      unknown: (c) => c.jobs.resumeJob({ id: UNKNOWN_JOB }),
      id: (f) => f.job,
      unknownId: UNKNOWN_JOB,
    },
    {
      name: "TriggerJob",
      call: (c, f) => c.jobs.triggerJob({ id: f.job }),
      unknown: (c) => c.jobs.triggerJob({ id: UNKNOWN_JOB }),
      id: (f) => f.job,
      unknownId: UNKNOWN_JOB,
    },
    {
      name: "GetExecution",
      call: (c, f) => c.jobs.getExecution({ id: f.execution }),
      unknown: (c) => c.jobs.getExecution({ id: `${UNKNOWN_JOB}:1:1` }),
      id: (f) => f.execution,
      unknownId: `${UNKNOWN_JOB}:1:1`,
    },
    {
      name: "PreviewSchedule with A's job id",
      call: (c, f) => c.jobs.previewSchedule({ schedule: yearly, jobId: f.job, count: 1 }),
      unknown: (c) => c.jobs.previewSchedule({ schedule: yearly, jobId: UNKNOWN_JOB, count: 1 }),
      id: (f) => f.job,
      unknownId: UNKNOWN_JOB,
    },
    {
      name: "RedriveDeadRuns of A's dead run",
      call: (c, f) => c.dead.redriveDeadRuns({ executionIds: [f.dead] }),
      unknown: (c) => c.dead.redriveDeadRuns({ executionIds: [`${UNKNOWN_JOB}:1:1`] }),
      id: (f) => f.dead,
      unknownId: `${UNKNOWN_JOB}:1:1`,
    },
    {
      name: "PurgeDeadRuns of A's dead run",
      call: (c, f) => c.dead.purgeDeadRuns({ executionIds: [f.dead] }),
      unknown: (c) => c.dead.purgeDeadRuns({ executionIds: [`${UNKNOWN_JOB}:1:1`] }),
      id: (f) => f.dead,
      unknownId: `${UNKNOWN_JOB}:1:1`,
    },
    {
      name: "GetCalendar",
      call: (c) => c.calendars.getCalendar({ name: "holidays" }),
      unknown: (c) => c.calendars.getCalendar({ name: "nowhere" }),
      id: () => "holidays",
      unknownId: "nowhere",
    },
    {
      name: "UpdateCalendar",
      call: (c) =>
        c.calendars.updateCalendar({
          calendar: { name: "holidays", description: "taken" },
          updateMask: { paths: ["description"] },
        }),
      unknown: (c) =>
        c.calendars.updateCalendar({
          calendar: { name: "nowhere", description: "x" },
          updateMask: { paths: ["description"] },
        }),
      id: () => "holidays",
      unknownId: "nowhere",
    },
    {
      name: "DeleteCalendar",
      call: (c) => c.calendars.deleteCalendar({ name: "holidays" }),
      unknown: (c) => c.calendars.deleteCalendar({ name: "nowhere" }),
      id: () => "holidays",
      unknownId: "nowhere",
    },
    {
      name: "GetWorkflow",
      call: (c, f) => c.workflows.getWorkflow({ id: f.workflow }),
      unknown: (c) => c.workflows.getWorkflow({ id: UNKNOWN_WF }),
      id: (f) => f.workflow,
      unknownId: UNKNOWN_WF,
    },
    {
      name: "DeleteWorkflow",
      call: (c, f) => c.workflows.deleteWorkflow({ id: f.workflow }),
      unknown: (c) => c.workflows.deleteWorkflow({ id: UNKNOWN_WF }),
      id: (f) => f.workflow,
      unknownId: UNKNOWN_WF,
    },
    {
      name: "TriggerWorkflow",
      call: (c, f) => c.workflows.triggerWorkflow({ id: f.workflow }),
      unknown: (c) => c.workflows.triggerWorkflow({ id: UNKNOWN_WF }),
      id: (f) => f.workflow,
      unknownId: UNKNOWN_WF,
    },
    {
      name: "GetWorkflowRun",
      call: (c, f) => c.workflows.getWorkflowRun({ id: f.workflowRun }),
      unknown: (c) => c.workflows.getWorkflowRun({ id: `${UNKNOWN_WF}:1` }),
      id: (f) => f.workflowRun,
      unknownId: `${UNKNOWN_WF}:1`,
    },
    {
      name: "UpdateJob of A's workflow node job",
      call: async (c, f) => {
        const { workflow } = await a.workflows.getWorkflow({ id: f.workflow });
        return c.jobs.updateJob({
          job: { id: workflow!.nodes[0]!.jobId, name: "taken" },
          updateMask: { paths: ["name"] },
        });
      },
      unknown: (c) =>
        c.jobs.updateJob({ job: { id: UNKNOWN_JOB, name: "x" }, updateMask: { paths: ["name"] } }),
      id: () => "",
      unknownId: "",
    },
  ];

  it.each(notFound)("$name as B → NotFound, as for an unknown id", async (row) => {
    const got = await failure(() => row.call(b, fx));
    const unknown = await failure(() => row.unknown(b));
    expect(got?.code).toBe(Code.NotFound);
    expect(unknown?.code).toBe(Code.NotFound);
    if (row.unknownId !== "") {
      expect(got?.message).toBe(unknown?.message.replaceAll(row.unknownId, row.id(fx)));
    }
  });

  /**
   * The runs listed on the worker running A's sleeper: all of them for A,
   * none for B. Read at once, from the run that is RUNNING now (a worker
   * that lost its session under load has its run re-queued as a new attempt).
   */
  async function workerRuns() {
    const live = await waitFor("a RUNNING attempt of A's sleeper", async () => {
      const page = await a.jobs.listExecutions({ jobId: fx.sleeper, pageSize: 100 });
      return page.executions.find((e) => e.status === ExecutionStatus.RUNNING);
    });
    const ids = async (c: Clients) => ({
      cluster: (
        await c.cluster.listWorkerRuns({ workerId: live.workerId, pageSize: 100 })
      ).executions.map((e) => e.id),
      jobs: (
        await c.jobs.listExecutions({ workerId: live.workerId, pageSize: 100 })
      ).executions.map((e) => e.id),
    });
    const [mine, theirs] = await Promise.all([ids(a), ids(b)]);
    expect(theirs).toEqual({ cluster: [], jobs: [] });
    expect(mine.cluster).toContain(live.id);
    expect(mine.jobs).toContain(live.id);
  }

  it("lists as B hold none of A's items, and A's page token walks only B's", async () => {
    const aJobs = [fx.job, fx.sleeper];
    const { jobs } = await b.jobs.listJobs({ pageSize: 100 });
    expect(jobs.filter((j) => aJobs.includes(j.id))).toEqual([]);
    const walked = await b.jobs.listJobs({ pageSize: 100, pageToken: fx.jobsToken });
    expect(walked.jobs.filter((j) => aJobs.includes(j.id))).toEqual([]);
    expect((await b.jobs.listJobs({ owner: "shared-owner", pageSize: 100 })).jobs).toEqual([]);
    expect((await b.jobs.listExecutions({ jobId: fx.job, pageSize: 100 })).executions).toEqual([]);
    expect((await b.dead.listDeadRuns({ pageSize: 100 })).executions).toEqual([]);
    expect((await b.dead.listDeadRuns({ jobId: fx.job, pageSize: 100 })).executions).toEqual([]);
    expect((await b.dead.redriveDeadRuns({ all: true })).executions).toEqual([]);
    expect((await b.dead.purgeDeadRuns({ all: true })).purged).toBe(0);
    expect((await b.calendars.listCalendars({})).calendars).toEqual([]);
    expect(
      (await b.workflows.listWorkflows({ owner: "shared-owner", pageSize: 100 })).workflows,
    ).toEqual([]);
    expect(
      (await b.workflows.listWorkflowRuns({ workflowId: fx.workflow, pageSize: 100 })).runs,
    ).toEqual([]);

    // A sees its own, through the same calls.
    await workerRuns();
    expect((await a.dead.listDeadRuns({})).executions.map((e) => e.id)).toEqual([fx.dead]);
    expect((await a.workflows.listWorkflowRuns({ workflowId: fx.workflow })).runs).toHaveLength(1);
    // Members, leader and assignment are the same for every tenant.
    const [ca, cb] = await Promise.all([a.cluster.getCluster({}), b.cluster.getCluster({})]);
    expect(cb.leaderId).toBe(ca.leaderId);
    expect(cb.members.map((m) => m.id).sort()).toEqual(ca.members.map((m) => m.id).sort());
  });

  it("calendars are named per tenant; B's schedule cannot reference A's calendar", async () => {
    const usesHolidays = {
      name: "b's job",
      owner: "o",
      schedule: { ...yearly, calendar: { name: "holidays", mode: CalendarMode.SKIP } },
      target: noop(),
    };
    const missing = await failure(() => b.jobs.createJob(usesHolidays));
    expect(missing?.code).toBe(Code.FailedPrecondition);
    expect(missing?.message).toContain('calendar "holidays" does not exist');
    // B's own "holidays" is another calendar.
    const { calendar } = await b.calendars.createCalendar({
      calendar: { name: "holidays", excludedWeekdays: [1] },
    });
    expect(calendar?.version).toBe(1n);
    const { job } = await b.jobs.createJob(usesHolidays);
    expect(job?.status).toBe(JobStatus.ACTIVE);
    expect((await b.calendars.listCalendars({})).calendars.map((c) => c.name)).toEqual([
      "holidays",
    ]);
    // A's is still referenced by A's job only: B may delete its own once B's job is gone.
    await b.jobs.deleteJob({ id: job!.id });
    await b.calendars.deleteCalendar({ name: "holidays" });
    const stored = await adapters.calendars.getCalendar(A, "holidays");
    expect(stored?.excludedDates).toEqual(["2030-12-25"]);
  });

  it("an idempotency key is scoped to the tenant", async () => {
    const { job } = await b.jobs.createJob({
      name: "a's job",
      owner: "shared-owner",
      schedule: yearly,
      target: noop(),
      idempotencyKey: "same-key",
    });
    expect(job?.id).not.toBe(fx.job);
    const again = await b.jobs.createJob({
      name: "a's job",
      owner: "shared-owner",
      schedule: yearly,
      target: noop(),
      idempotencyKey: "same-key",
    });
    expect(again.job?.id).toBe(job?.id);
  });

  it("A's items are unchanged after all of B's calls (read back from the store)", async () => {
    // Run after the table above (vitest runs a file's tests in order).
    const job = await adapters.jobs.getJob(ALL_TENANTS, fx.job);
    expect(job).toMatchObject({ tenant: A, status: "ACTIVE", version: 1, name: "a's job" });
    expect(job?.schedule.calendar?.name).toBe("holidays");
    const execution = await adapters.executions.getExecution(ALL_TENANTS, fx.execution);
    expect(execution).toMatchObject({ tenant: A, status: "SUCCEEDED" });
    expect((await adapters.retries.getDead(A, fx.dead)).status).toBe("DEAD");
    const calendar = await adapters.calendars.getCalendar(A, "holidays");
    expect(calendar).toMatchObject({ version: 1, description: "" });
    const wf = await adapters.workflows.getWorkflow(ALL_TENANTS, fx.workflow);
    expect(wf).toMatchObject({ tenant: A, status: "ACTIVE" });
    const trigger = await adapters.jobs.getJob(ALL_TENANTS, wf!.triggerJobId);
    expect(trigger).toMatchObject({ tenant: A, status: "ACTIVE", version: 1 });
    const node = await adapters.jobs.getJob(ALL_TENANTS, wf!.nodes[0]!.jobId);
    expect(node).toMatchObject({ tenant: A, name: "one", version: 1 });
    const runs = await adapters.workflows.listRuns(A, fx.workflow, 10);
    expect(runs.items.map((r) => r.tenant)).toEqual([A]);
    // Only A's one manual run of its job (B's TriggerJob recorded nothing).
    const { items } = await adapters.executions.listExecutions(A, { jobId: fx.job, pageSize: 10 });
    expect(items.map((e) => e.id).sort()).toEqual([fx.dead, fx.execution].sort());
  });
});
