/**
 * Tenant quotas through the real server (DynamoDB Local, the SQS emulator,
 * etcd, auth on): a create, resume, reactivation or workflow past
 * max_active_schedules answers ResourceExhausted naming the quota, its limit
 * and the use; concurrent creates at the limit never overshoot it; an
 * admin's UpdateTenantQuota takes effect at once; other roles read only
 * their own tenant and change nothing.
 */

import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { TenantService } from "../../../gen/chronoring/v1/tenant_service_pb.js";
import { WorkflowService, WorkflowStatus } from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { failure } from "../../support/client.js";
import { type TenantClient, tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

/** The configured default of max_active_schedules in this test. */
const DEFAULT_LIMIT = 4;
const noop = { kind: { case: "noop" as const, value: { sleep: durationFromMs(0) } } };
const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" }, timeZone: "UTC" };
const job = (name: string) => ({ name, owner: "o", schedule: yearly, target: noop });

const exhausted = (tenant: string, use: number, limit: number) => ({
  code: Code.ResourceExhausted,
  message: `tenant ${tenant}: active schedules ${use} of ${limit} (max_active_schedules)`,
});

describe("tenant quotas", () => {
  let app: App;
  let auth: TestAuth;
  let as: TenantClient;
  let url: string;
  const jobsOf = (tenant: string): Client<typeof JobService> => as(JobService, url, tenant);
  const admin = (): Client<typeof TenantService> => as(TenantService, url, "ops");

  async function setLimit(tenant: string, limit: number) {
    await admin().updateTenantQuota({
      tenant,
      quotas: { maxActiveSchedules: BigInt(limit) },
      updateMask: { paths: ["max_active_schedules"] },
    });
  }

  async function use(tenant: string) {
    const { tenant: t } = await admin().getTenant({ tenant });
    return Number(t!.usage!.activeSchedules);
  }

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("quotas", {
      TENANT_MAX_ACTIVE_SCHEDULES: String(DEFAULT_LIMIT),
      ...auth.settings,
    });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    url = app.apiUrl!;
    as = tenantClients(auth);
  });

  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  it("refuses each way of adding an active schedule past the quota, naming quota, limit and use", async () => {
    const t = "acme";
    await setLimit(t, 2);
    const jobs = jobsOf(t);
    const { job: first } = await jobs.createJob(job("one"));
    const { job: second } = await jobs.createJob(job("two"));
    expect(await use(t)).toBe(2);

    const cases: Array<[string, () => Promise<unknown>]> = [
      ["CreateJob", () => jobs.createJob(job("three"))],
      [
        "CreateJob with an idempotency key",
        () => jobs.createJob({ ...job("k"), idempotencyKey: "k1" }),
      ],
      [
        "CreateWorkflow (its trigger job counts)",
        () =>
          as(WorkflowService, url, t).createWorkflow({
            name: "flow",
            owner: "o",
            schedule: yearly,
            nodes: [{ key: "a", name: "", target: noop, dependsOn: [] }],
          }),
      ],
    ];
    for (const [what, call] of cases) {
      expect(await failure(call), what).toEqual(exhausted(t, 2, 2));
    }
    // The refused workflow is left deleted, its node jobs cancelled: nothing fires.
    const flows = await as(WorkflowService, url, t).listWorkflows({ owner: "o" });
    expect(flows.workflows.map((w) => w.status)).toEqual([WorkflowStatus.DELETED]);
    const { jobs: listed } = await jobs.listJobs({ pageSize: 100 });
    expect(listed.filter((j) => j.status === JobStatus.ACTIVE)).toHaveLength(2);

    // A paused job gives its slot back; resuming it needs one again.
    await jobs.pauseJob({ id: first!.id });
    expect(await use(t)).toBe(1);
    const { job: third } = await jobs.createJob(job("three"));
    expect(await failure(() => jobs.resumeJob({ id: first!.id }))).toEqual(exhausted(t, 2, 2));
    // Deleting one frees a slot for the resume.
    await jobs.deleteJob({ id: second!.id });
    const { job: resumed } = await jobs.resumeJob({ id: first!.id });
    expect(resumed?.status).toBe(JobStatus.ACTIVE);
    expect(await use(t)).toBe(2);
    // Deleting a paused job (no slot) changes nothing.
    await jobs.pauseJob({ id: third!.id });
    await jobs.deleteJob({ id: third!.id });
    expect(await use(t)).toBe(1);
  });

  it("counts a one-time job until it finished, then frees its slot; reactivating it takes one again", async () => {
    const t = "oneshot";
    await setLimit(t, 1);
    const jobs = jobsOf(t);
    const { job: once } = await jobs.createJob({
      name: "once",
      owner: "o",
      schedule: { kind: { case: "at", value: timestampFromMs(Date.now() + 1000) } },
      target: noop,
    });
    await waitFor("the one-time job to finish", async () => {
      const { job: j } = await jobs.getJob({ id: once!.id });
      return j?.status === JobStatus.FINISHED ? true : undefined;
    });
    // Finishing wrote nothing to the tenant; the next take finds it finished.
    const { job: next } = await jobs.createJob(job("next"));
    expect(await use(t)).toBe(1);
    // UpdateJob giving the finished job a new schedule reactivates it: refused.
    expect(
      await failure(() =>
        jobs.updateJob({
          job: { id: once!.id, schedule: yearly },
          updateMask: { paths: ["schedule"] },
        }),
      ),
    ).toEqual(exhausted(t, 1, 1));
    await jobs.deleteJob({ id: next!.id });
    const { job: again } = await jobs.updateJob({
      job: { id: once!.id, schedule: yearly },
      updateMask: { paths: ["schedule"] },
    });
    expect(again?.status).toBe(JobStatus.ACTIVE);
    expect(await use(t)).toBe(1);
  });

  it("never overshoots the quota under concurrent creates", async () => {
    const t = "racer";
    await setLimit(t, 5);
    const jobs = jobsOf(t);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => jobs.createJob(job(`r${i}`))),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter(
      (r) => r.status === "rejected" && ConnectError.from(r.reason).code === Code.ResourceExhausted,
    );
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    expect(await use(t)).toBe(5);
    const { jobs: listed } = await jobs.listJobs({ pageSize: 100 });
    expect(listed.filter((j) => j.status === JobStatus.ACTIVE)).toHaveLength(5);
  });

  it("applies the default, then an admin's quota at once, then the default again", async () => {
    const t = "growing";
    const jobs = jobsOf(t);
    for (let i = 0; i < DEFAULT_LIMIT; i++) await jobs.createJob(job(`d${i}`));
    expect(await failure(() => jobs.createJob(job("over")))).toEqual(
      exhausted(t, DEFAULT_LIMIT, DEFAULT_LIMIT),
    );
    await setLimit(t, DEFAULT_LIMIT + 1);
    await jobs.createJob(job("raised"));
    const { tenant } = await admin().getTenant({ tenant: t });
    expect(tenant?.customQuotas).toEqual(["max_active_schedules"]);
    expect(tenant?.updateTime).toBeDefined();
    // 0 is unlimited.
    await setLimit(t, 0);
    await jobs.createJob(job("unlimited"));
    const { tenant: reset } = await admin().updateTenantQuota({
      tenant: t,
      resetMask: { paths: ["max_active_schedules"] },
    });
    expect(reset?.customQuotas).toEqual([]);
    expect(Number(reset?.quotas?.maxActiveSchedules)).toBe(DEFAULT_LIMIT);
    expect(await failure(() => jobs.createJob(job("over again")))).toEqual(
      exhausted(t, DEFAULT_LIMIT + 2, DEFAULT_LIMIT),
    );
    const { tenants } = await admin().listTenants({});
    expect(tenants.map((x) => x.tenant)).toEqual(expect.arrayContaining([t, "acme", "racer"]));
  });

  it("lets every role read its own tenant, and only an admin read others, list or set", async () => {
    for (const role of ["viewer", "operator", "editor"]) {
      const client = authedClient(
        TenantService,
        url,
        await auth.token({ tenant: "acme", roles: [role] }),
      );
      const own = await client.getTenant({});
      expect(own.tenant?.tenant, role).toBe("acme");
      expect(own.tenant?.quotas?.maxActiveSchedules, role).toBe(2n);
      const denied = [
        () => client.getTenant({ tenant: "racer" }),
        () => client.listTenants({}),
        () =>
          client.updateTenantQuota({
            quotas: { maxActiveSchedules: 100n },
            updateMask: { paths: ["max_active_schedules"] },
          }),
      ];
      for (const call of denied) {
        expect((await failure(call))?.code, role).toBe(Code.PermissionDenied);
      }
    }
    expect(
      Number((await admin().getTenant({ tenant: "acme" })).tenant?.quotas?.maxActiveSchedules),
    ).toBe(2);
  });

  it("answers bad quota changes with InvalidArgument naming the field", async () => {
    const bad: Array<
      [string, Parameters<Client<typeof TenantService>["updateTenantQuota"]>[0], string]
    > = [
      ["no mask", { tenant: "acme" }, "update_mask: required"],
      [
        "unknown path",
        { tenant: "acme", updateMask: { paths: ["max_jobs"] } },
        'update_mask: unknown path "max_jobs"',
      ],
      [
        "too large",
        {
          tenant: "acme",
          quotas: { maxActiveSchedules: 100_000_001n },
          updateMask: { paths: ["max_active_schedules"] },
        },
        "quotas.max_active_schedules: 0 (unlimited) to 100000000",
      ],
      [
        "in both masks",
        {
          tenant: "acme",
          updateMask: { paths: ["max_active_schedules"] },
          resetMask: { paths: ["max_active_schedules"] },
        },
        'reset_mask: "max_active_schedules" is in update_mask too',
      ],
      [
        "bad tenant name",
        { tenant: "Not A Tenant", updateMask: { paths: ["max_active_schedules"] } },
        "tenant: not a tenant name",
      ],
    ];
    for (const [what, request, message] of bad) {
      const f = await failure(() => admin().updateTenantQuota(request));
      expect(f?.code, what).toBe(Code.InvalidArgument);
      expect(f?.message, what).toContain(message);
    }
  });
});
