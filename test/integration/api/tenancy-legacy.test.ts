/**
 * Tenancy over data and runs, through the real server: items written before
 * tenancy (no tenant attribute; written raw here, as an older version left
 * them) are the `default` tenant's and nobody else's, and the scheduler fires
 * the jobs of several tenants, each execution recording its job's tenant.
 */

import { PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CalendarService } from "../../../gen/chronoring/v1/calendar_service_pb.js";
import { DeadLetterService } from "../../../gen/chronoring/v1/dead_letter_service_pb.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { WorkflowService } from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { deadKey } from "../../../src/adapters/dynamodb/dead-index.js";
import { runKey } from "../../../src/adapters/dynamodb/execution-item.js";
import { jobToItem } from "../../../src/adapters/dynamodb/job-item.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type App, startApp } from "../../../src/app.js";
import { newJobId } from "../../../src/core/ids.js";
import { newWorkflowId } from "../../../src/core/workflow/workflow.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import { makeJob } from "../../support/jobs.js";
import { type TenantClient, tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

const B = "bobco";

async function code(call: () => Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call();
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe("items from before tenancy, and runs of several tenants", () => {
  let app: App;
  let adapters: ReturnType<typeof createAdapters>;
  let tables: ReturnType<typeof tableNames>;
  let config: ReturnType<typeof testConfig>;
  let auth: TestAuth;
  let tenantClient: TenantClient;
  /** Without a tenant: an admin of `default`. */
  const as = (tenant?: string) => {
    const url = app.apiUrl!;
    const t = tenant ?? "";
    return {
      jobs: tenantClient(JobService, url, t),
      calendars: tenantClient(CalendarService, url, t),
      dead: tenantClient(DeadLetterService, url, t),
      workflows: tenantClient(WorkflowService, url, t),
    };
  };

  beforeAll(async () => {
    auth = await testAuth();
    tenantClient = tenantClients(auth);
    config = testConfig("tenancy-legacy", auth.settings);
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    adapters = createAdapters(config);
    tables = tableNames(config.store.tablePrefix);
  });

  afterAll(async () => {
    adapters?.dynamo.destroy();
    await app?.close();
    auth?.cleanup();
  });

  it("items without a tenant attribute are default's only", async () => {
    const put = (TableName: string, Item: Record<string, unknown>) =>
      adapters.dynamo.send(
        new PutItemCommand({ TableName, Item: Item as PutItemCommand["input"]["Item"] }),
      );
    const job = makeJob(config.store.partitions, { status: "PAUSED", nextRunMs: undefined });
    const { tenant: _, ...jobItem } = jobToItem(job);
    await put(tables.jobs, jobItem);
    const at = Date.now() - 60_000;
    const execution = (attempt: number, extra: Record<string, unknown>) => ({
      job_id: { S: job.id },
      run: { S: runKey(at, attempt) },
      part: { N: String(job.partition) },
      sched_ms: { N: String(at) },
      attempt: { N: String(attempt) },
      manual: { BOOL: false },
      worker: { S: "w-legacy" },
      started: { N: String(at) },
      ended: { N: String(at + 10) },
      ...extra,
    });
    await put(tables.executions, execution(1, { st: { S: "SUCCEEDED" } }));
    await put(
      tables.executions,
      execution(2, {
        st: { S: "DEAD" },
        dead: { S: "DEAD" },
        dead_key: { S: deadKey(job.id, runKey(at, 2)) },
      }),
    );
    await put(tables.calendars, {
      name: { S: "legacy-days" },
      descr: { S: "" },
      dates: { L: [{ S: "2030-01-01" }] },
      wdays: { L: [] },
      v: { N: "1" },
      created: { N: "1" },
      updated: { N: "1" },
    });
    const wfId = newWorkflowId(Date.now());
    await put(tables.workflows, {
      id: { S: wfId },
      name: { S: "legacy flow" },
      owner: { S: "legacy-owner" },
      tags: { L: [] },
      sched: { S: JSON.stringify({ kind: "once", at: Date.now() + 3_600_000 }) },
      nodes: {
        S: JSON.stringify([
          {
            key: "one",
            name: "one",
            target: { type: "noop", sleepMs: 0 },
            dependsOn: [],
            jobId: job.id,
          },
        ]),
      },
      st: { S: "ACTIVE" },
      trigger: { S: newJobId(Date.now()) },
      created: { N: String(Date.now()) },
    });
    await put(tables.workflowRuns, {
      wf: { S: wfId },
      run_ms: { N: String(at) },
      st: { S: "SUCCEEDED" },
      started: { N: String(at) },
      order: { L: [{ S: "one" }] },
      nodes: { M: { one: { M: { job: { S: job.id }, st: { S: "SUCCEEDED" } } } } },
    });
    const executionIds = [`${job.id}:${at}:1`, `${job.id}:${at}:2`];

    // The default tenant sees each, both as the anonymous caller and by name.
    for (const c of [as(), as("default")]) {
      expect((await c.jobs.getJob({ id: job.id })).job?.id).toBe(job.id);
      expect((await c.jobs.listJobs({ pageSize: 500 })).jobs.map((j) => j.id)).toContain(job.id);
      expect(
        (await c.jobs.listExecutions({ jobId: job.id })).executions.map((e) => e.id).sort(),
      ).toEqual(executionIds);
      expect(
        (await c.jobs.listExecutions({ workerId: "w-legacy" })).executions.map((e) => e.id).sort(),
      ).toEqual(executionIds);
      expect((await c.jobs.getExecution({ id: executionIds[0]! })).execution?.status).toBe(
        ExecutionStatus.SUCCEEDED,
      );
      expect((await c.dead.listDeadRuns({})).executions.map((e) => e.id)).toEqual([
        executionIds[1],
      ]);
      expect((await c.calendars.getCalendar({ name: "legacy-days" })).calendar?.version).toBe(1n);
      expect((await c.calendars.listCalendars({})).calendars.map((x) => x.name)).toEqual([
        "legacy-days",
      ]);
      expect((await c.workflows.getWorkflow({ id: wfId })).workflow?.name).toBe("legacy flow");
      expect(
        (await c.workflows.listWorkflows({ owner: "legacy-owner" })).workflows.map((w) => w.id),
      ).toEqual([wfId]);
      expect((await c.workflows.listWorkflowRuns({ workflowId: wfId })).runs).toHaveLength(1);
      expect((await c.workflows.getWorkflowRun({ id: `${wfId}:${at}` })).run?.workflowId).toBe(
        wfId,
      );
    }

    // Any other tenant sees none of them.
    const b = as(B);
    expect(await code(() => b.jobs.getJob({ id: job.id }))).toBe(Code.NotFound);
    expect(await code(() => b.jobs.resumeJob({ id: job.id }))).toBe(Code.NotFound);
    expect((await b.jobs.listJobs({ pageSize: 500 })).jobs.map((j) => j.id)).not.toContain(job.id);
    expect((await b.jobs.listExecutions({ jobId: job.id })).executions).toEqual([]);
    expect((await b.jobs.listExecutions({ workerId: "w-legacy" })).executions).toEqual([]);
    expect(await code(() => b.jobs.getExecution({ id: executionIds[0]! }))).toBe(Code.NotFound);
    expect((await b.dead.listDeadRuns({})).executions).toEqual([]);
    expect(await code(() => b.dead.purgeDeadRuns({ executionIds: [executionIds[1]!] }))).toBe(
      Code.NotFound,
    );
    expect(await code(() => b.calendars.getCalendar({ name: "legacy-days" }))).toBe(Code.NotFound);
    expect((await b.calendars.listCalendars({})).calendars).toEqual([]);
    expect(await code(() => b.workflows.getWorkflow({ id: wfId }))).toBe(Code.NotFound);
    expect((await b.workflows.listWorkflows({ owner: "legacy-owner" })).workflows).toEqual([]);
    expect((await b.workflows.listWorkflowRuns({ workflowId: wfId })).runs).toEqual([]);
    expect(await code(() => b.workflows.getWorkflowRun({ id: `${wfId}:${at}` }))).toBe(
      Code.NotFound,
    );
  });

  it("fires the jobs of several tenants; each execution records its job's tenant", async () => {
    const tenants = ["default", "acme", B];
    const jobs = await Promise.all(
      tenants.map(async (tenant) => {
        const { job } = await as(tenant).jobs.createJob({
          name: `every second of ${tenant}`,
          owner: "o",
          schedule: { kind: { case: "cron", value: "* * * * * *" } },
          target: { kind: { case: "noop", value: {} } },
        });
        return job!.id;
      }),
    );
    await Promise.all(
      tenants.map((tenant, i) =>
        waitFor(
          `a run of ${tenant}'s job`,
          async () => {
            const { executions } = await as(tenant).jobs.listExecutions({ jobId: jobs[i]! });
            return executions.some((e) => e.status === ExecutionStatus.SUCCEEDED) || undefined;
          },
          20_000,
        ),
      ),
    );
    await Promise.all(tenants.map((tenant, i) => as(tenant).jobs.deleteJob({ id: jobs[i]! })));
    // The execution items as stored carry the tenant of their job.
    for (const [i, tenant] of tenants.entries()) {
      const out = await adapters.dynamo.send(
        new QueryCommand({
          TableName: tables.executions,
          KeyConditionExpression: "job_id = :j",
          ExpressionAttributeValues: { ":j": { S: jobs[i]! } },
        }),
      );
      const stored = new Set((out.Items ?? []).map((item) => item.tenant?.S));
      expect(stored).toEqual(new Set([tenant]));
      // No other tenant lists them.
      const other = tenants[(i + 1) % tenants.length]!;
      expect((await as(other).jobs.listExecutions({ jobId: jobs[i]! })).executions).toEqual([]);
    }
  });
});
