/**
 * The design's REST paths, served by the real app (auth on) on its one port:
 * each path answers as docs/rest.md says, through the same interceptor chain
 * as RPCs (roles, x-request-id), with the error table of error-map.ts.
 */

import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import { waitFor } from "../../support/wait.js";

const UNKNOWN_JOB = `job_${"0".repeat(26)}`;
const JOB = {
  name: "nightly report",
  schedule: { cron: "0 3 * * *", timeZone: "UTC" },
  target: { noop: {} },
  tags: ["reports"],
  owner: "alice",
};

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON read back in assertions
  json: any;
}

describe("REST paths", () => {
  let app: App;
  let auth: TestAuth;
  let editor: string;
  let viewer: string;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const token = opts.token === undefined ? editor : opts.token;
    const res = await fetch(`${app.apiUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...opts.headers,
      },
      ...(body !== undefined
        ? { body: typeof body === "string" ? body : JSON.stringify(body) }
        : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };
  const create = async (overrides: Record<string, unknown> = {}) => {
    const res = await call("POST", "/jobs", { ...JOB, ...overrides });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json.job as { id: string; version: string; tags: string[]; owner: string };
  };

  beforeAll(async () => {
    auth = await testAuth();
    app = await startApp(testConfig("rest", auth.settings), { logger: silentLogger });
    editor = await auth.token({ tenant: "acme", roles: ["editor"] });
    viewer = await auth.token({ tenant: "acme", roles: ["viewer"] });
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  it("serves every path of the design's table", async () => {
    const job = await create();
    expect(job.id).toMatch(/^job_/);
    expect((await call("GET", `/jobs/${job.id}`)).json.job.name).toBe("nightly report");

    const list = await call("GET", "/jobs?status=active&tag=reports&user_id=alice&page_size=10");
    expect(list.status).toBe(200);
    expect(list.json.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    const pending = await call("GET", "/jobs?status=pending");
    expect(pending.json.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    const byOther = await call("GET", "/jobs?userId=bob");
    expect(byOther.json.jobs ?? []).toEqual([]);

    for (const path of [`/jobs/${job.id}/pause`, `/jobs/${job.id}:pause`]) {
      const paused = await call("POST", path);
      expect(paused.status, path).toBe(200);
      expect(paused.json.job.status).toBe("JOB_STATUS_PAUSED");
      expect((await call("POST", path.replace("pause", "resume"))).json.job.status).toBe(
        "JOB_STATUS_ACTIVE",
      );
    }
    const paused = await call("GET", "/jobs?status=paused");
    expect(paused.json.jobs ?? []).toEqual([]);

    const runs: string[] = [];
    for (const path of [`/jobs/${job.id}/trigger`, `/jobs/${job.id}:runNow`]) {
      const run = await call("POST", path);
      expect(run.status, path).toBe(200);
      runs.push(run.json.execution.id);
    }
    // A run is listed once its worker has recorded its start (until then GetExecution
    // answers from the job's claim record): wait for both, on a busy machine.
    const executions = await waitFor("both runs listed", async () => {
      const listed = await call("GET", `/jobs/${job.id}/executions`);
      expect(listed.status).toBe(200);
      return (listed.json.executions ?? []).length >= runs.length ? listed : undefined;
    });
    expect(executions.json.executions.map((e: { id: string }) => e.id).sort()).toEqual(
      [...runs].sort(),
    );
    const one = await call("GET", `/executions/${runs[0]}`);
    expect(one.status).toBe(200);
    expect(one.json.execution.jobId).toBe(job.id);
    for (const path of [
      "/job/executions?worker_id=w-none",
      "/executions?worker_id=w-none&status=running",
    ]) {
      const byWorker = await call("GET", path);
      expect(byWorker.status, path).toBe(200);
      expect(byWorker.json.executions ?? []).toEqual([]);
    }

    const deleted = await call("DELETE", `/jobs/${job.id}`);
    expect(deleted.status).toBe(200);
    expect((await call("GET", `/jobs/${job.id}`)).json.job.status).toBe("JOB_STATUS_CANCELLED");
  });

  it("PUT replaces every updatable field; PATCH changes only those present or masked", async () => {
    const job = await create();
    const patched = await call("PATCH", `/jobs/${job.id}`, { name: "renamed" });
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    expect(patched.json.job).toMatchObject({ name: "renamed", tags: ["reports"], owner: "alice" });

    const masked = await call("PATCH", `/jobs/${job.id}?update_mask=owner`, {
      name: "ignored",
      owner: "bob",
    });
    expect(masked.status).toBe(200);
    expect(masked.json.job).toMatchObject({ name: "renamed", owner: "bob" });

    const put = await call("PUT", `/jobs/${job.id}`, {
      name: "replaced",
      owner: "carol",
      schedule: JOB.schedule,
      target: JOB.target,
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json.job.name).toBe("replaced");
    expect(put.json.job.tags ?? []).toEqual([]);
    expect(put.json.job.owner).toBe("carol");
  });

  it.each([
    [
      "a bad field",
      "POST",
      "/jobs",
      { ...JOB, schedule: { cron: "not a cron" } },
      400,
      "invalid_argument",
      /schedule/,
    ],
    [
      "an unknown field",
      "POST",
      "/jobs",
      { ...JOB, colour: "red" },
      400,
      "invalid_argument",
      /colour/,
    ],
    ["a body that is not JSON", "POST", "/jobs", "{", 400, "invalid_argument", /body/],
    ["an unknown id", "GET", `/jobs/${UNKNOWN_JOB}`, undefined, 404, "not_found", /job/],
    [
      "an unknown enum in the query",
      "GET",
      "/jobs?status=sleeping",
      undefined,
      400,
      "invalid_argument",
      /status/,
    ],
    [
      "a query parameter that is no field",
      "GET",
      "/jobs?colour=red",
      undefined,
      400,
      "invalid_argument",
      /colour/,
    ],
  ])("%s answers %s %s → %i %s", async (_, method, path, body, status, code, message) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(status);
    expect(res.json.code).toBe(code);
    expect(res.json.message).toMatch(message);
  });

  it("no token: 401 with WWW-Authenticate: Bearer; a viewer creating: 403", async () => {
    const anonymous = await call("GET", "/jobs", undefined, { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.code).toBe("unauthenticated");
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const denied = await call("POST", "/jobs", JOB, { token: viewer });
    expect(denied.status).toBe(403);
    expect(denied.json.code).toBe("permission_denied");
    expect((await call("GET", "/jobs", undefined, { token: viewer })).status).toBe(200);
  });

  it("a stale expected_version: 409; pausing a cancelled job: 412", async () => {
    const job = await create();
    const stale = await call("PATCH", `/jobs/${job.id}?expected_version=999`, { name: "x" });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("aborted");
    await call("DELETE", `/jobs/${job.id}`);
    const pause = await call("POST", `/jobs/${job.id}:pause`);
    expect(pause.status).toBe(412);
    expect(pause.json.code).toBe("failed_precondition");
  });

  it("x-request-id passes through; a path of another method is 405 with Allow; others 404", async () => {
    const res = await call("GET", "/jobs", undefined, { headers: { "x-request-id": "rest-abc" } });
    expect(res.headers.get("x-request-id")).toBe("rest-abc");
    const wrong = await call("GET", `/jobs/${UNKNOWN_JOB}:pause`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await call("GET", "/nowhere")).status).toBe(404);
  });

  it("the /v1 bindings of the other services answer", async () => {
    for (const path of [
      "/v1/calendars",
      "/v1/workflows?owner=alice",
      "/v1/deadRuns",
      "/v1/cluster",
      "/v1/health",
      "/v1/fireStats?minutes=5",
      "/v1/auditEvents?pageSize=5",
      "/v1/tenant",
    ]) {
      const res = await call("GET", path);
      expect(res.status, `${path}: ${JSON.stringify(res.json)}`).toBe(200);
    }
  });

  it("Connect serves reads over GET (useHttpGet), not to be kept by shared caches", async () => {
    const job = await create();
    // The transport turns the call into a GET after the interceptors: only
    // the answer tells, by the cache-control that GET answers alone carry.
    const cacheControl: (string | null)[] = [];
    const bearer: Interceptor = (next) => async (req) => {
      req.header.set("authorization", `Bearer ${editor}`);
      const res = await next(req);
      cacheControl.push(res.header.get("cache-control"));
      return res;
    };
    const client = createClient(
      JobService,
      createConnectTransport({
        baseUrl: app.apiUrl!,
        httpVersion: "1.1",
        useHttpGet: true,
        interceptors: [bearer],
      }),
    );
    expect((await client.getJob({ id: job.id })).job?.name).toBe("nightly report");
    expect(cacheControl).toEqual(["private, no-store"]);
    const message = encodeURIComponent(JSON.stringify({ id: job.id }));
    const res = await fetch(
      `${app.apiUrl}/chronoring.v1.JobService/GetJob?connect=v1&encoding=json&message=${message}`,
      { headers: { authorization: `Bearer ${editor}` } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("vary")).toContain("Authorization");
    const write = await fetch(
      `${app.apiUrl}/chronoring.v1.JobService/DeleteJob?connect=v1&encoding=json&message=${message}`,
      {
        headers: { authorization: `Bearer ${editor}` },
      },
    );
    expect(write.status).toBe(405);
  });
});
