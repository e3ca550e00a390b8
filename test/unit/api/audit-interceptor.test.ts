/**
 * The audit interceptor on a real API server with auth on (handlers are
 * stubs; the store is in memory, the DynamoDB store has its own tests): which
 * calls are recorded, and what each event says of who, what and the result,
 * refusals by auth included; and with auth off, the anonymous admin.
 */

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, createClient } from "@connectrpc/connect";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobSchema } from "../../../gen/chronoring/v1/job_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { createInterceptors } from "../../../src/api/interceptors.js";
import { type ApiServer, startApiServer } from "../../../src/api/server.js";
import { startAuth } from "../../../src/auth/from-config.js";
import type { AuditEvent } from "../../../src/core/audit.js";
import { clockWithNow, systemClock } from "../../../src/core/clock.js";
import { notFound } from "../../../src/core/errors.js";
import { testAuditWriter } from "../../support/audit.js";
import {
  authedClient,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestAuth,
  testAuth,
  transportWith,
} from "../../support/auth.js";

const JOB = `job_${"b".repeat(26)}`;
const NOW = 1_790_000_000_000;
const logger = pino({ level: "silent" });

/** JobService stubs: CreateJob makes JOB, DeleteJob knows no job, ListJobs lists none. */
function stubRoutes(router: ConnectRouter) {
  router.service(JobService, {
    createJob: (req) => ({ job: create(JobSchema, { id: JOB, name: req.name }) }),
    deleteJob: () => {
      throw notFound("job");
    },
    listJobs: () => ({ jobs: [], nextPageToken: "" }),
    triggerJob: () => {
      throw new Error("boom");
    },
  });
}

let auth: TestAuth;
let withAuth: ApiServer;
let withoutAuth: ApiServer;
const audit = testAuditWriter();
const open = testAuditWriter();

beforeAll(async () => {
  auth = await testAuth();
  const authenticator = await startAuth(
    {
      mode: "jwt",
      jwks: auth.jwksPath,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      tenantClaim: "tenant",
      rolesClaim: "roles",
      metrics: false,
    },
    { clock: systemClock, logger },
  );
  const clock = clockWithNow(() => NOW);
  withAuth = await startApiServer({
    host: "127.0.0.1",
    port: 0,
    routes: stubRoutes,
    logger,
    interceptors: createInterceptors(logger, {
      auth: authenticator!,
      audit: { writer: audit.writer, clock },
    }),
  });
  withoutAuth = await startApiServer({
    host: "127.0.0.1",
    port: 0,
    routes: stubRoutes,
    logger,
    interceptors: createInterceptors(logger, { audit: { writer: open.writer, clock } }),
  });
});
afterAll(async () => {
  await withAuth?.close();
  await withoutAuth?.close();
  auth?.cleanup();
});

/** Runs a call, ignoring its error, and returns the events it added (after the writer stored them). */
async function recorded(
  w: ReturnType<typeof testAuditWriter>,
  call: () => Promise<unknown>,
): Promise<AuditEvent[]> {
  const before = w.store.events().length;
  await call().catch(() => {});
  await w.writer.flush();
  return w.store.events().slice(before);
}

const token = (tenant: string, role: string, sub = `${role}@${tenant}`) =>
  auth.token({ tenant, roles: [role], sub });

describe("the audit interceptor", () => {
  it("records a change with who, what, the new id, the result and the correlation id", async () => {
    const client = authedClient(JobService, withAuth.url, await token("acme", "editor"));
    const events = await recorded(audit, () =>
      client.createJob({ name: "nightly" }, { headers: { "x-request-id": "req-create-1" } }),
    );
    expect(events).toEqual([
      {
        id: expect.stringMatching(/^[0-9A-Z]{26}$/),
        atMs: NOW,
        subject: "editor@acme",
        tenant: "acme",
        role: "editor",
        service: "chronoring.v1.JobService",
        method: "CreateJob",
        resourceIds: [JOB],
        readOnly: false,
        code: "ok",
        correlationId: "req-create-1",
      },
    ]);
    // The log line says the same, at once.
    expect(audit.lines.find((l) => l.correlationId === "req-create-1")).toMatchObject({
      audit: true,
      msg: "audit",
      method: "CreateJob",
      resourceIds: [JOB],
    });
  });

  it("records a failed change with its code: a domain error's, or internal", async () => {
    const client = authedClient(JobService, withAuth.url, await token("acme", "admin"));
    const [deleted] = await recorded(audit, () => client.deleteJob({ id: JOB }));
    expect(deleted).toMatchObject({ method: "DeleteJob", resourceIds: [JOB], code: "not_found" });
    const [triggered] = await recorded(audit, () => client.triggerJob({ id: JOB }));
    expect(triggered).toMatchObject({ method: "TriggerJob", code: "internal" });
  });

  it("records a refusal by role with the caller it refused", async () => {
    const client = authedClient(JobService, withAuth.url, await token("acme", "viewer"));
    const events = await recorded(audit, () => client.createJob({ name: "x" }));
    expect(events).toEqual([
      expect.objectContaining({
        subject: "viewer@acme",
        tenant: "acme",
        role: "viewer",
        method: "CreateJob",
        resourceIds: [],
        code: "permission_denied",
      }),
    ]);
  });

  it("records a call without a valid token with no subject, tenant or role", async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: "Bearer not-a-jwt" }];
    for (const headers of attempts) {
      const client = createClient(JobService, transportWith("grpc", withAuth.url, headers));
      const [event] = await recorded(audit, () => client.deleteJob({ id: JOB }));
      expect(event).toMatchObject({
        method: "DeleteJob",
        resourceIds: [JOB],
        code: "unauthenticated",
      });
      expect(event).not.toHaveProperty("subject");
      expect(event).not.toHaveProperty("tenant");
      expect(event).not.toHaveProperty("role");
    }
  });

  it("records a non-admin naming a tenant with what its token said", async () => {
    const client = authedClient(JobService, withAuth.url, await token("acme", "editor"), {
      actAs: "bobco",
    });
    const [event] = await recorded(audit, () => client.createJob({ name: "x" }));
    expect(event).toMatchObject({ subject: "editor@acme", tenant: "acme", role: "editor" });
    expect(event?.code).toBe("permission_denied");
  });

  it("does not record reads, but records an admin acting on another tenant, reads included", async () => {
    const own = authedClient(JobService, withAuth.url, await token("ops", "admin"));
    expect(await recorded(audit, () => own.listJobs({}))).toEqual([]);
    const acting = authedClient(JobService, withAuth.url, await token("ops", "admin"), {
      actAs: "acme",
    });
    const events = await recorded(audit, () => acting.listJobs({}));
    expect(events).toEqual([
      expect.objectContaining({
        subject: "admin@ops",
        tenant: "acme",
        role: "admin",
        adminTenant: "ops",
        method: "ListJobs",
        readOnly: true,
        code: "ok",
      }),
    ]);
  });

  it("with auth off, records the anonymous admin of tenant default", async () => {
    const client = createClient(JobService, transportWith("grpc", withoutAuth.url));
    expect(await recorded(open, () => client.listJobs({}))).toEqual([]);
    const [event] = await recorded(open, () => client.createJob({ name: "x" }));
    expect(event).toMatchObject({
      subject: "anonymous",
      tenant: "default",
      role: "admin",
      code: "ok",
      resourceIds: [JOB],
    });
  });

  it("never changes what the client gets", async () => {
    const client = authedClient(JobService, withAuth.url, await token("acme", "admin"));
    const err = await client.deleteJob({ id: JOB }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.NotFound);
    expect((err as ConnectError).rawMessage).toBe("job not found");
  });
});
