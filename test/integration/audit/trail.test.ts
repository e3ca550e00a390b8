/**
 * The audit trail on the real app (auth on, DynamoDB Local, the SQS
 * emulator): each change (create, update, delete, pause and trigger a job,
 * create a calendar, redrive a dead run, create a workflow) is recorded once,
 * with who, what, when, its code and its correlation id, and read back three
 * ways: ListAuditEvents, the `<prefix>audit` table (with its TTL), and the
 * log line. Refused changes are recorded with their code; reads are not,
 * unless an admin acts on another tenant.
 */

import { DescribeTimeToLiveCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditService } from "../../../gen/chronoring/v1/audit_service_pb.js";
import { CalendarService } from "../../../gen/chronoring/v1/calendar_service_pb.js";
import { DeadLetterService } from "../../../gen/chronoring/v1/dead_letter_service_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { WorkflowService } from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type App, startApp } from "../../../src/app.js";
import { executionId } from "../../../src/core/execution.js";
import { testConfig } from "../../support/app.js";
import { auditLines, capturingLogger, listAllAuditEvents } from "../../support/audit.js";
import { authedClient, type TestAuth, testAuth, transportWith } from "../../support/auth.js";
import { waitFor } from "../../support/wait.js";

const T = "acme";
const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" }, timeZone: "UTC" };
const noop = { kind: { case: "noop" as const, value: { sleep: durationFromMs(0) } } };
const rid = (id: string) => ({ headers: { "x-request-id": id } });

let auth: TestAuth;
let app: App;
let adapters: ReturnType<typeof createAdapters>;
let auditTable: string;
const { logger, lines } = capturingLogger();
let viewer: ReturnType<typeof createClient<typeof AuditService>>;
let admin: ReturnType<typeof createClient<typeof AuditService>>;

beforeAll(async () => {
  auth = await testAuth();
  const config = testConfig("audit-trail", { ROLES: "api", ...auth.settings });
  app = await startApp(config, { logger });
  adapters = createAdapters(config);
  auditTable = `${config.store.tablePrefix}audit`;
  viewer = authedClient(AuditService, app.apiUrl!, await auth.token({ tenant: T, sub: "vic" }));
  admin = authedClient(
    AuditService,
    app.apiUrl!,
    await auth.token({ tenant: "ops", roles: ["admin"], sub: "root" }),
  );
});
afterAll(async () => {
  adapters?.dynamo.destroy();
  await app?.close();
  auth?.cleanup();
});

const listAll = listAllAuditEvents;

/** Waits until the stored event of this correlation id can be listed, and returns it. */
function stored(client: typeof viewer, correlationId: string, request = {}) {
  return waitFor(`the audit event of ${correlationId}`, async () =>
    (await listAll(client, request)).find((e) => e.correlationId === correlationId),
  );
}

describe("the audit trail", () => {
  it("records every change with who, what, when and its code: listed, in the table, logged", async () => {
    const editorToken = await auth.token({ tenant: T, roles: ["editor"], sub: "alice" });
    const operatorToken = await auth.token({ tenant: T, roles: ["operator"], sub: "bob" });
    const jobs = authedClient(JobService, app.apiUrl!, editorToken);
    const ops = authedClient(JobService, app.apiUrl!, operatorToken);
    const started = Date.now();

    const { job } = await jobs.createJob(
      { name: "nightly", owner: "team", schedule: yearly, target: noop },
      rid("a-create"),
    );
    const id = job!.id;
    await jobs.updateJob(
      { job: { id, name: "nightly 2" }, updateMask: { paths: ["name"] } },
      rid("a-update"),
    );
    await ops.pauseJob({ id }, rid("a-pause"));
    await ops.resumeJob({ id });
    const { execution } = await ops.triggerJob({ id }, rid("a-trigger"));
    await authedClient(CalendarService, app.apiUrl!, editorToken).createCalendar(
      { calendar: { name: "holidays", excludedDates: ["2030-12-25"] } },
      rid("a-calendar"),
    );
    // A dead run, as a worker records one; then redriven through the API.
    const dead = {
      tenant: T,
      jobId: id,
      partition: job!.partition,
      scheduledMs: Date.now() - 60_000,
      attempt: 1,
      manual: true,
    };
    await adapters.executions.startExecution(dead, "w-gone", Date.now());
    await adapters.retries.markDead(dead, "w-gone", { error: "boom", endedMs: Date.now() });
    const redriven = await authedClient(
      DeadLetterService,
      app.apiUrl!,
      operatorToken,
    ).redriveDeadRuns({ executionIds: [executionId(dead)] }, rid("a-redrive"));
    const { workflow } = await authedClient(
      WorkflowService,
      app.apiUrl!,
      editorToken,
    ).createWorkflow(
      { name: "etl", owner: "team", schedule: yearly, nodes: [{ key: "one", target: noop }] },
      rid("a-workflow"),
    );
    await jobs.deleteJob({ id }, rid("a-delete"));
    const ended = Date.now();

    const expected: Record<string, [string, string, string, string[]]> = {
      "a-create": ["JobService", "CreateJob", "alice", [id]],
      "a-update": ["JobService", "UpdateJob", "alice", [id]],
      "a-pause": ["JobService", "PauseJob", "bob", [id]],
      "a-trigger": ["JobService", "TriggerJob", "bob", [id, execution!.id]],
      "a-calendar": ["CalendarService", "CreateCalendar", "alice", ["holidays"]],
      "a-redrive": [
        "DeadLetterService",
        "RedriveDeadRuns",
        "bob",
        [executionId(dead), redriven.executions[0]!.id],
      ],
      "a-workflow": ["WorkflowService", "CreateWorkflow", "alice", [workflow!.id]],
      "a-delete": ["JobService", "DeleteJob", "alice", [id]],
    };
    await stored(viewer, "a-delete");
    const listed = await listAll(viewer, {});
    // Newest first: the delete came last.
    expect(listed[0]!.correlationId).toBe("a-delete");
    const items = await adapters.dynamo.send(
      new QueryCommand({
        TableName: auditTable,
        KeyConditionExpression: "tenant = :t",
        ExpressionAttributeValues: { ":t": { S: T } },
      }),
    );
    const logged = auditLines(lines);

    for (const [cid, [service, method, subject, ids]] of Object.entries(expected)) {
      const role = subject === "alice" ? "editor" : "operator";
      const event = listed.find((e) => e.correlationId === cid);
      expect(event, cid).toMatchObject({
        subject,
        tenant: T,
        role,
        adminTenant: "",
        service: `chronoring.v1.${service}`,
        method,
        resourceIds: ids,
        readOnly: false,
        code: "ok",
      });
      const atMs = Number(timestampMs(event!.time!));
      expect(atMs).toBeGreaterThanOrEqual(started);
      expect(atMs).toBeLessThanOrEqual(ended);
      expect(listed.filter((e) => e.correlationId === cid)).toHaveLength(1);

      const item = items.Items?.find((i) => i.cid?.S === cid);
      expect(item, cid).toMatchObject({
        tenant: { S: T },
        at: { S: `${String(atMs).padStart(15, "0")}#${event!.id}` },
        sub: { S: subject },
        role: { S: role },
        svc: { S: `chronoring.v1.${service}` },
        m: { S: method },
        ids: { L: ids.map((S) => ({ S })) },
        code: { S: "ok" },
      });
      expect(Number(item!.expires_at!.N)).toBe(Math.ceil(atMs / 1000) + 90 * 86_400);

      expect(
        logged.filter((l) => l.correlationId === cid),
        cid,
      ).toEqual([
        expect.objectContaining({ id: event!.id, atMs, subject, tenant: T, method, code: "ok" }),
      ]);
    }
    const ttl = await adapters.dynamo.send(
      new DescribeTimeToLiveCommand({ TableName: auditTable }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: "ENABLED",
      AttributeName: "expires_at",
    });
  });

  it("records a refused change with its code: PermissionDenied with the caller, Unauthenticated without", async () => {
    const asViewer = authedClient(
      JobService,
      app.apiUrl!,
      await auth.token({ tenant: T, sub: "vic" }),
    );
    const create = { name: "x", owner: "o", schedule: yearly, target: noop };
    const denied = await asViewer.createJob(create, rid("r-denied")).catch(ConnectError.from);
    expect((denied as ConnectError).code).toBe(Code.PermissionDenied);
    const anonymous = createClient(
      JobService,
      transportWith("grpc", app.apiUrl!, { "x-request-id": "r-anon" }),
    );
    const refused = await anonymous.createJob(create).catch(ConnectError.from);
    expect((refused as ConnectError).code).toBe(Code.Unauthenticated);

    expect(await stored(viewer, "r-denied")).toMatchObject({
      subject: "vic",
      tenant: T,
      role: "viewer",
      method: "CreateJob",
      code: "permission_denied",
    });
    // No tenant is known: only the listing of every tenant (admins) holds it.
    expect(await stored(admin, "r-anon")).toMatchObject({
      subject: "",
      tenant: "",
      role: "",
      method: "CreateJob",
      code: "unauthenticated",
    });
    expect(auditLines(lines).find((l) => l.correlationId === "r-anon")).toMatchObject({
      code: "unauthenticated",
      method: "CreateJob",
    });
    expect(auditLines(lines).find((l) => l.correlationId === "r-anon")).not.toHaveProperty(
      "subject",
    );
  });

  it("does not record reads, but records every call of an admin acting on another tenant", async () => {
    const reader = authedClient(
      JobService,
      app.apiUrl!,
      await auth.token({ tenant: T, roles: ["editor"] }),
    );
    await reader.listJobs({}, rid("q-list"));
    await viewer.listAuditEvents({}, rid("q-audit"));
    const acting = authedClient(
      JobService,
      app.apiUrl!,
      await auth.token({ tenant: "ops", roles: ["admin"], sub: "root" }),
      { actAs: T },
    );
    await acting.listJobs({}, rid("q-acting"));

    // The writer keeps order: once the acting read is stored, the others would be too.
    expect(await stored(viewer, "q-acting")).toMatchObject({
      subject: "root",
      tenant: T,
      role: "admin",
      adminTenant: "ops",
      method: "ListJobs",
      readOnly: true,
      code: "ok",
    });
    const all = await listAll(admin, {});
    expect(all.filter((e) => e.correlationId.startsWith("q-")).map((e) => e.correlationId)).toEqual(
      ["q-acting"],
    );
    expect(auditLines(lines).filter((l) => String(l.correlationId).startsWith("q-"))).toHaveLength(
      1,
    );
  });
});
