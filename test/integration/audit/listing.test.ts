/**
 * ListAuditEvents on the real app: tenants see only their own events, admins
 * every tenant's (by day, across tenants) or one tenant's; pages follow each
 * other newest first without gaps or repeats; the filters (method, subject,
 * resource id, time range) and what bad input gets.
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuditService,
  type ListAuditEventsRequestSchema,
} from "../../../gen/chronoring/v1/audit_service_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { listAllAuditEvents } from "../../support/audit.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { waitFor } from "../../support/wait.js";

const A = "acme";
const B = "bobco";
const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" }, timeZone: "UTC" };
const noop = { kind: { case: "noop" as const, value: { sleep: durationFromMs(0) } } };

type ListRequest = MessageInitShape<typeof ListAuditEventsRequestSchema>;

let auth: TestAuth;
let app: App;
const audit = async (tenant: string, role: string, sub = `${role}@${tenant}`) =>
  authedClient(AuditService, app.apiUrl!, await auth.token({ tenant, roles: [role], sub }));

/** Job ids each tenant's editor made, oldest first. */
const made: Record<string, string[]> = { [A]: [], [B]: [] };
let started = 0;

const listAll = listAllAuditEvents;

beforeAll(async () => {
  auth = await testAuth();
  app = await startApp(testConfig("audit-listing", { ROLES: "api", ...auth.settings }), {
    logger: silentLogger,
  });
  started = Date.now();
  for (const tenant of [A, B]) {
    const jobs = authedClient(
      JobService,
      app.apiUrl!,
      await auth.token({ tenant, roles: ["editor"], sub: `ed@${tenant}` }),
    );
    for (let i = 0; i < 3; i++) {
      const { job } = await jobs.createJob({
        name: `j${i}`,
        owner: "o",
        schedule: yearly,
        target: noop,
      });
      made[tenant]!.push(job!.id);
    }
    await jobs.deleteJob({ id: made[tenant]![0]! });
  }
  const admin = await audit("ops", "admin");
  await waitFor("every event stored", async () =>
    (await listAll(admin)).length >= 8 ? true : undefined,
  );
});
afterAll(async () => {
  await app?.close();
  auth?.cleanup();
});

describe("ListAuditEvents", () => {
  it("shows each tenant's viewer its own tenant's events only", async () => {
    for (const [tenant, other] of [
      [A, B],
      [B, A],
    ] as const) {
      const events = await listAll(await audit(tenant, "viewer"));
      expect(events.map((e) => e.tenant)).toEqual(Array(4).fill(tenant));
      const ids = events.flatMap((e) => e.resourceIds);
      expect(ids.some((id) => made[other]!.includes(id))).toBe(false);
      const refused = await (await audit(tenant, "viewer"))
        .listAuditEvents({ tenant: other })
        .catch(ConnectError.from);
      expect(refused).toBeInstanceOf(ConnectError);
      expect((refused as ConnectError).code).toBe(Code.PermissionDenied);
      expect((refused as ConnectError).rawMessage).toBe(
        "tenant: only an admin may list another tenant's events",
      );
    }
  });

  it("shows an admin every tenant's events, newest first, or one tenant's", async () => {
    const admin = await audit("ops", "admin");
    const all = await listAll(admin);
    expect(all.map((e) => e.tenant).sort()).toEqual([...Array(4).fill(A), ...Array(4).fill(B)]);
    const times = all.map((e) => timestampMs(e.time!));
    expect(times).toEqual([...times].sort((x, y) => Number(y - x)));
    // B's events came last: they lead.
    expect(all[0]).toMatchObject({ tenant: B, method: "DeleteJob", resourceIds: [made[B]![0]] });
    const onlyA = await listAll(admin, { tenant: A });
    expect(onlyA.map((e) => e.id)).toEqual(all.filter((e) => e.tenant === A).map((e) => e.id));
    // An admin acting on a tenant lists that tenant's by default.
    const acting = authedClient(
      AuditService,
      app.apiUrl!,
      await auth.token({ tenant: "ops", roles: ["admin"] }),
      { actAs: B },
    );
    const actingEvents = await listAll(acting);
    expect(new Set(actingEvents.map((e) => e.tenant))).toEqual(new Set([B]));
  });

  it("pages without gaps or repeats, in a tenant and across tenants", async () => {
    const admin = await audit("ops", "admin");
    for (const request of [{ tenant: A }, {}]) {
      const whole = await admin.listAuditEvents({ ...request, pageSize: 500 });
      expect(whole.nextPageToken).toBe("");
      const paged = await listAll(admin, { ...request, pageSize: 3 });
      expect(paged.map((e) => e.id)).toEqual(whole.events.map((e) => e.id));
      const first = await admin.listAuditEvents({ ...request, pageSize: 3 });
      expect(first.events).toHaveLength(3);
      expect(first.nextPageToken).not.toBe("");
    }
  });

  it("filters by method, subject, resource id and time range", async () => {
    const admin = await audit("ops", "admin");
    const creates = await listAll(admin, { method: "CreateJob" });
    expect(creates).toHaveLength(6);
    expect(await listAll(admin, { method: "chronoring.v1.JobService/CreateJob" })).toEqual(creates);
    expect(await listAll(admin, { method: "chronoring.v1.CalendarService/CreateJob" })).toEqual([]);
    const bySubject = await listAll(admin, { subject: `ed@${B}` });
    expect(bySubject.map((e) => e.tenant)).toEqual(Array(4).fill(B));
    const byId = await listAll(admin, { resourceId: made[A]![0]! });
    expect(byId.map((e) => e.method)).toEqual(["DeleteJob", "CreateJob"]);
    // A filter and a small page: the pages still hold every match once.
    expect((await listAll(admin, { method: "CreateJob", pageSize: 1 })).map((e) => e.id)).toEqual(
      creates.map((e) => e.id),
    );
    const before = await listAll(admin, { endTime: timestampFromMs(started - 1) });
    expect(before).toEqual([]);
    // A start alone ends now: a later range needs its end too.
    const after = await listAll(admin, {
      startTime: timestampFromMs(Date.now() + 1000),
      endTime: timestampFromMs(Date.now() + 2000),
    });
    expect(after).toEqual([]);
    const within = await listAll(admin, {
      startTime: timestampFromMs(started),
      endTime: timestampFromMs(Date.now() + 1000),
    });
    // The editors' 8 changes, and the reads of the admin acting on a tenant above.
    expect(within.filter((e) => !e.readOnly)).toHaveLength(8);
    expect(within.map((e) => e.id)).toEqual((await listAll(admin)).map((e) => e.id));
  });

  it("refuses bad input naming the field", async () => {
    const admin = await audit("ops", "admin");
    const cases: Array<[ListRequest, string]> = [
      [{ pageSize: 501 }, "page_size: must be 1 to 500, or 0 for 50"],
      [{ method: "Create Job" }, "method: a method name (CreateJob), or service/method"],
      [{ tenant: "Not A Tenant" }, "tenant: not a tenant name (^[a-z0-9][a-z0-9-]{0,62}$)"],
      [
        { startTime: timestampFromMs(started), endTime: timestampFromMs(started) },
        "start_time: must be before end_time",
      ],
      [{ pageToken: "nope" }, "page_token: not a token returned by this listing"],
      [{ subject: "x".repeat(257) }, "subject: at most 256 characters"],
    ];
    for (const [request, message] of cases) {
      const err = await admin.listAuditEvents(request).catch(ConnectError.from);
      expect(err, message).toBeInstanceOf(ConnectError);
      expect([Code[(err as ConnectError).code], (err as ConnectError).rawMessage]).toEqual([
        "InvalidArgument",
        message,
      ]);
    }
    // A token of another listing: InvalidArgument, not another tenant's events.
    const acrossToken = (await admin.listAuditEvents({ pageSize: 1 })).nextPageToken;
    const viewerB = await audit(B, "viewer");
    const err = await viewerB.listAuditEvents({ pageToken: acrossToken }).catch(ConnectError.from);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  });
});
