import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { DurationSchema, FieldMaskSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobStatus as JobStatusPb } from "../../../gen/chronoring/v1/job_pb.js";
import {
  CreateJobRequestSchema,
  CreateJobResponseSchema,
  JobService,
} from "../../../gen/chronoring/v1/job_service_pb.js";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../../gen/grpc/health/v1/health_pb.js";
import { routes } from "../../../src/api/routes.js";
import { type ApiServer, startApiServer } from "../../../src/api/server.js";
import { ChronoringError, type ErrorKind, notFound } from "../../../src/core/errors.js";
import type { Execution } from "../../../src/core/execution.js";
import type { Job, Schedule } from "../../../src/core/job.js";
import { withInputChecks } from "../../../src/core/job-command-checks.js";
import type { JobCommands } from "../../../src/core/job-commands.js";
import type { ScheduleInput } from "../../../src/core/schedule/index.js";
import { compileTargetAllow } from "../../../src/core/target-address.js";

const NOW = Date.UTC(2026, 0, 1);

/**
 * An in-memory JobCommands behind core's input checks: enough behaviour to
 * exercise the API layer, with the one validation path a real server has.
 */
function fakeCommands() {
  const jobs = new Map<string, Job>();
  let seq = 0;
  const state = {
    /** Thrown by the next call, whatever it is. */
    fail: undefined as unknown,
    /** Delay of every call, for the graceful-close test. */
    delayMs: 0,
    /** Calls that reached the commands while a delay was set. */
    delayed: 0,
  };
  const gate = async () => {
    if (state.delayMs > 0) {
      state.delayed++;
      await new Promise((r) => setTimeout(r, state.delayMs));
    }
    const err = state.fail;
    state.fail = undefined;
    if (err !== undefined) throw err;
  };
  const toSchedule = (s: ScheduleInput): Schedule => {
    if (s.cron !== undefined)
      return { kind: "cron", source: s.cron, timeZone: s.timeZone ?? "UTC" };
    if (s.interval !== undefined) {
      return { kind: "interval", source: s.interval, periodMs: 60_000, anchorMs: NOW };
    }
    return { kind: "once", at: s.at ?? NOW + (s.afterMs ?? 0) };
  };
  const must = (id: string) => {
    const job = jobs.get(id);
    if (!job) throw notFound(`job ${id}`);
    return job;
  };
  const commands: JobCommands = {
    async createMany(tenant, items) {
      return Promise.all(
        items.map(async ({ index, input }) => ({
          index,
          status: "CREATED" as const,
          jobId: (await commands.create(tenant, input)).id,
        })),
      );
    },
    async create(tenant, input) {
      await gate();
      const id = `job_${String(++seq).padStart(26, "0")}`;
      const job: Job = {
        id,
        tenant,
        name: input.name,
        schedule: toSchedule(input.schedule),
        target: input.target,
        status: "ACTIVE",
        tags: input.tags,
        owner: input.owner,
        version: 1,
        partition: 7,
        nextRunMs: NOW + 60_000,
        createdMs: NOW,
        updatedMs: NOW,
      };
      jobs.set(id, job);
      return job;
    },
    async get(_tenant, id) {
      await gate();
      return must(id);
    },
    async apply() {
      await gate();
      return {
        plan: { entries: [], counts: { CREATE: 0, UPDATE: 0, DELETE: 0, UNCHANGED: 0 } },
        created: new Map(),
        applied: true,
      };
    },
    async list(_tenant, query) {
      await gate();
      const all = [...jobs.values()];
      const items = all.slice(0, query.pageSize);
      return items.length < all.length ? { items, nextToken: "next" } : { items };
    },
    async update(_tenant, id, update, expectedVersion) {
      await gate();
      const job = must(id);
      if (expectedVersion !== undefined && expectedVersion !== job.version) {
        throw new ChronoringError("aborted", "version mismatch");
      }
      const { schedule, limits, retryPolicy, remainingRuns, ...rest } = update;
      const next: Job = { ...job, ...rest, version: job.version + 1 };
      if (remainingRuns) next.remainingRuns = remainingRuns;
      else if (remainingRuns === null) delete next.remainingRuns;
      if (schedule) next.schedule = toSchedule(schedule);
      if (limits) next.limits = limits;
      else if (limits === null) delete next.limits;
      if (retryPolicy) next.retryPolicy = retryPolicy;
      else if (retryPolicy === null) delete next.retryPolicy;
      jobs.set(id, next);
      return next;
    },
    async cancel(_tenant, id) {
      await gate();
      const job = { ...must(id), status: "CANCELLED" as const };
      jobs.set(id, job);
      return job;
    },
    async pause(_tenant, id) {
      await gate();
      return must(id);
    },
    async resume(_tenant, id) {
      await gate();
      return must(id);
    },
    async trigger(tenant, id) {
      await gate();
      must(id);
      const e: Execution = {
        id: `${id}:${NOW}:1`,
        tenant,
        jobId: id,
        partition: 7,
        scheduledMs: NOW,
        attempt: 1,
        manual: true,
        status: "QUEUED",
      };
      return e;
    },
    async listExecutions() {
      await gate();
      return { items: [] };
    },
    async getExecution(_tenant, id) {
      await gate();
      throw notFound(`execution ${id}`);
    },
    async preview(_tenant, _schedule, afterMs, count) {
      const fires = Array.from({ length: count }, (_, i) => ({
        utcMs: (afterMs ?? NOW) + (i + 1) * 60_000,
        local: new Date((afterMs ?? NOW) + (i + 1) * 60_000).toISOString(),
        notes: [],
      }));
      return { fires, removed: [] };
    },
  };
  // The checks of every input are core's, in front of any JobCommands: the API adds none.
  const checked = withInputChecks(commands, {
    emailEnabled: false,
    targetAllow: compileTargetAllow([]),
  });
  return { commands: checked, state, jobs };
}

const logLines: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: "debug" },
  { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
);

let server: ApiServer;
let ready = true;
const fake = fakeCommands();

beforeAll(async () => {
  server = await startApiServer({
    host: "127.0.0.1",
    port: 0,
    logger,
    routes: routes({ commands: fake.commands, ready: () => ready }),
    metricsText: async () => "# HELP up test\nup 1\n",
  });
});

afterAll(async () => {
  await server?.close();
});

const transports: Array<[string, () => Transport]> = [
  ["gRPC (HTTP/2 h2c)", () => createGrpcTransport({ baseUrl: server.url })],
  [
    "gRPC-Web (HTTP/1.1)",
    () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  ],
  ["gRPC-Web (HTTP/2)", () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "2" })],
  ["Connect (HTTP/1.1)", () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })],
  [
    "Connect JSON (HTTP/2)",
    () => createConnectTransport({ baseUrl: server.url, httpVersion: "2", useBinaryFormat: false }),
  ],
];

const goodJob = () =>
  ({
    name: "nightly",
    owner: "team-a",
    tags: ["env:test"],
    schedule: { kind: { case: "cron", value: "0 3 * * *" }, timeZone: "Europe/Berlin" },
    target: {
      kind: {
        case: "http",
        value: {
          method: "POST",
          url: "https://example.com/hook",
          headers: { "x-a": "1" },
          body: new TextEncoder().encode("{}"),
        },
      },
    },
  }) satisfies MessageInitShape<typeof CreateJobRequestSchema>;

/** The ConnectError a call fails with. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

describe.each(transports)("over %s", (_, transport) => {
  it("creates, reads, lists, updates and triggers a job", async () => {
    const client = createClient(JobService, transport());
    let requestId: string | null = null;
    const created = await client.createJob(goodJob(), {
      onHeader: (h) => {
        requestId = h.get("x-request-id");
      },
    });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const job = created.job!;
    expect(job.id).toMatch(/^job_/);
    expect(job.status).toBe(JobStatusPb.ACTIVE);
    expect(job.schedule?.kind).toEqual({ case: "cron", value: "0 3 * * *" });
    expect(job.schedule?.timeZone).toBe("Europe/Berlin");
    expect(job.target?.kind.case).toBe("http");
    if (job.target?.kind.case === "http") {
      // Defaults filled by the codec.
      expect(Number(job.target.kind.value.timeout?.seconds)).toBe(30);
      expect(new TextDecoder().decode(job.target.kind.value.body)).toBe("{}");
    }
    expect(job.version).toBe(1n);

    expect((await client.getJob({ id: job.id })).job?.name).toBe("nightly");
    const page = await client.listJobs({ pageSize: 500 });
    expect(page.jobs.some((j) => j.id === job.id)).toBe(true);

    const updated = await client.updateJob({
      job: { id: job.id, name: "renamed", owner: "" },
      updateMask: { paths: ["name"] },
      expectedVersion: 1n,
    });
    expect(updated.job?.name).toBe("renamed");
    expect(updated.job?.owner).toBe("team-a");
    expect(updated.job?.version).toBe(2n);

    const run = await client.triggerJob({ id: job.id });
    expect(run.execution?.manual).toBe(true);
    expect(run.execution?.jobId).toBe(job.id);

    const preview = await client.previewSchedule({
      schedule: { kind: { case: "interval", value: "1m" } },
      after: timestampFromMs(NOW),
    });
    expect(preview.fireTimes).toHaveLength(10);
  });

  it("echoes a sane x-request-id and replaces an insane one", async () => {
    const client = createClient(JobService, transport());
    let got: string | null = null;
    await client.listJobs(
      {},
      {
        headers: { "x-request-id": "req-123" },
        onHeader: (h) => {
          got = h.get("x-request-id");
        },
      },
    );
    expect(got).toBe("req-123");
    await client.listJobs(
      {},
      {
        headers: { "x-request-id": "a b\tc" },
        onHeader: (h) => {
          got = h.get("x-request-id");
        },
      },
    );
    expect(got).not.toBe("a b\tc");
    expect(got).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects a bad input with InvalidArgument naming the field", async () => {
    const client = createClient(JobService, transport());
    const err = await failure(client.createJob({ ...goodJob(), name: "" }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^name: /);
    expect(err.metadata.get("x-request-id")).toBeTruthy();
  });

  it("maps a domain error thrown by core to its code", async () => {
    const client = createClient(JobService, transport());
    fake.state.fail = new ChronoringError("failed_precondition", "job is cancelled");
    const err = await failure(client.resumeJob({ id: `job_${"1".repeat(26)}` }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toBe("job is cancelled");
  });
});

describe("bad inputs", () => {
  const JOB_ID = `job_${"9".repeat(26)}`;
  const cases: Array<
    [string, (c: ReturnType<typeof createClient<typeof JobService>>) => Promise<unknown>, string]
  > = [
    [
      "CreateJob without schedule",
      (c) => c.createJob({ ...goodJob(), schedule: undefined }),
      "schedule",
    ],
    ["CreateJob without target", (c) => c.createJob({ ...goodJob(), target: undefined }), "target"],
    ["CreateJob without owner", (c) => c.createJob({ ...goodJob(), owner: "" }), "owner"],
    [
      "CreateJob with a bad tag",
      (c) => c.createJob({ ...goodJob(), tags: ["ok", "no spaces"] }),
      "tags[1]",
    ],
    [
      "CreateJob with a negative after",
      (c) =>
        c.createJob({
          ...goodJob(),
          schedule: { kind: { case: "after", value: create(DurationSchema, { seconds: -1n }) } },
        }),
      "schedule.after",
    ],
    [
      "CreateJob with a relative url",
      (c) =>
        c.createJob({
          ...goodJob(),
          target: { kind: { case: "http", value: { url: "/x" } } },
        }),
      "target.http.url",
    ],
    [
      "CreateJob with a GET body",
      (c) =>
        c.createJob({
          ...goodJob(),
          target: {
            kind: { case: "http", value: { url: "http://x.test", body: new Uint8Array([1]) } },
          },
        }),
      "target.http.body",
    ],
    [
      "CreateJob with an empty command",
      (c) => c.createJob({ ...goodJob(), target: { kind: { case: "script", value: {} } } }),
      "target.script.command",
    ],
    [
      "CreateJob with a noop sleep over 1 min",
      (c) =>
        c.createJob({
          ...goodJob(),
          target: { kind: { case: "noop", value: { sleep: { seconds: 61n } } } },
        }),
      "target.noop.sleep",
    ],
    ["GetJob with a bad id", (c) => c.getJob({ id: "nope" }), "id"],
    ["DeleteJob without id", (c) => c.deleteJob({}), "id"],
    ["ListJobs with page_size 501", (c) => c.listJobs({ pageSize: 501 }), "page_size"],
    ["ListJobs with a bad tag", (c) => c.listJobs({ tag: "a b" }), "tag"],
    ["ListJobs with an unknown status", (c) => c.listJobs({ status: 42 as JobStatusPb }), "status"],
    ["UpdateJob without job", (c) => c.updateJob({ updateMask: { paths: ["name"] } }), "job"],
    ["UpdateJob without mask", (c) => c.updateJob({ job: { id: JOB_ID } }), "update_mask"],
    [
      "UpdateJob with an unknown path",
      (c) =>
        c.updateJob({
          job: { id: JOB_ID },
          updateMask: create(FieldMaskSchema, { paths: ["status"] }),
        }),
      "update_mask",
    ],
    [
      "UpdateJob with a bad id",
      (c) => c.updateJob({ job: { id: "x" }, updateMask: { paths: ["name"] } }),
      "job.id",
    ],
    [
      "UpdateJob with a blank name",
      (c) => c.updateJob({ job: { id: JOB_ID, name: " " }, updateMask: { paths: ["name"] } }),
      "job.name",
    ],
    [
      "UpdateJob with a bad target",
      (c) =>
        c.updateJob({
          job: { id: JOB_ID, target: { kind: { case: "http", value: { url: "nope" } } } },
          updateMask: { paths: ["target"] },
        }),
      "job.target.http.url",
    ],
    [
      "UpdateJob with a negative expected_version",
      (c) =>
        c.updateJob({ job: { id: JOB_ID }, updateMask: { paths: ["name"] }, expectedVersion: -1n }),
      "expected_version",
    ],
    ["ListExecutions without job_id or worker_id", (c) => c.listExecutions({}), "job_id"],
    ["ListExecutions with a bad job_id", (c) => c.listExecutions({ jobId: "j" }), "job_id"],
    ["GetExecution with a bad id", (c) => c.getExecution({ id: "x:1:1" }), "id"],
    [
      "PreviewSchedule with count 101",
      (c) =>
        c.previewSchedule({ schedule: { kind: { case: "cron", value: "* * * * *" } }, count: 101 }),
      "count",
    ],
    ["PreviewSchedule without schedule", (c) => c.previewSchedule({}), "schedule"],
  ];

  it.each(cases)("%s → InvalidArgument on its field (gRPC and Connect)", async (_, call, field) => {
    for (const transport of [transports[0]![1], transports[3]![1]]) {
      const err = await failure(call(createClient(JobService, transport())));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage.startsWith(`${field}: `)).toBe(true);
    }
  });
});

describe("domain errors from core", () => {
  it.each<[ErrorKind, Code]>([
    ["invalid_argument", Code.InvalidArgument],
    ["not_found", Code.NotFound],
    ["already_exists", Code.AlreadyExists],
    ["failed_precondition", Code.FailedPrecondition],
    ["aborted", Code.Aborted],
    ["permission_denied", Code.PermissionDenied],
    ["unauthenticated", Code.Unauthenticated],
    ["resource_exhausted", Code.ResourceExhausted],
    ["unavailable", Code.Unavailable],
  ])("%s arrives as its code", async (kind, code) => {
    const client = createClient(JobService, createGrpcTransport({ baseUrl: server.url }));
    fake.state.fail = new ChronoringError(kind, `failed: ${kind}`);
    const err = await failure(client.listJobs({}));
    expect(err.code).toBe(code);
    expect(err.rawMessage).toBe(`failed: ${kind}`);
  });

  it("an unknown job is NotFound", async () => {
    const client = createClient(JobService, createGrpcTransport({ baseUrl: server.url }));
    const err = await failure(client.getJob({ id: `job_${"z".repeat(26)}` }));
    expect(err.code).toBe(Code.NotFound);
  });

  it("an unexpected error is Internal, shows only the correlation id and is logged", async () => {
    const client = createClient(
      JobService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    fake.state.fail = new Error("password=hunter2");
    const err = await failure(client.listJobs({}, { headers: { "x-request-id": "trace-77" } }));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("internal error (correlation id trace-77)");
    expect(err.metadata.get("x-request-id")).toBe("trace-77");
    const line = logLines.find((l) => l.correlationId === "trace-77");
    expect(line).toMatchObject({
      procedure: "/chronoring.v1.JobService/ListJobs",
      code: "internal",
    });
    expect(JSON.stringify(line)).toContain("hunter2");
  });

  it("logs one line per call with procedure, code, ms and correlation id", async () => {
    const client = createClient(JobService, createGrpcTransport({ baseUrl: server.url }));
    await failure(client.getJob({ id: "bad" }, { headers: { "x-request-id": "one-line" } }));
    const lines = logLines.filter((l) => l.correlationId === "one-line");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      procedure: "/chronoring.v1.JobService/GetJob",
      code: "invalid_argument",
    });
    expect(typeof lines[0]!.ms).toBe("number");
  });
});

describe("grpc.health.v1", () => {
  it("answers Check, List and Watch", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect((await health.check({})).status).toBe(ServingStatus.SERVING);
    expect((await health.check({ service: "chronoring.v1.JobService" })).status).toBe(
      ServingStatus.SERVING,
    );
    expect((await failure(health.check({ service: "nope.v1.Nope" }))).code).toBe(Code.NotFound);
    const list = await health.list({});
    expect(Object.keys(list.statuses).sort()).toEqual(["", "chronoring.v1.JobService"]);

    const abort = new AbortController();
    const seen: ServingStatus[] = [];
    try {
      for await (const res of health.watch({ service: "" }, { signal: abort.signal })) {
        seen.push(res.status);
        if (seen.length === 1) ready = false;
        if (seen.length === 2) abort.abort();
      }
    } catch (err) {
      expect(ConnectError.from(err).code).toBe(Code.Canceled);
    }
    expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    expect((await health.check({})).status).toBe(ServingStatus.NOT_SERVING);
    ready = true;
  });

  it("is callable from @grpc/grpc-js", async () => {
    const client = new grpc.Client(
      server.url.replace("http://", ""),
      grpc.credentials.createInsecure(),
    );
    const call = <I extends DescMessage, O extends DescMessage>(
      path: string,
      input: I,
      output: O,
      msg: MessageShape<I>,
    ) =>
      new Promise<MessageShape<O>>((resolve, reject) =>
        client.makeUnaryRequest(
          path,
          (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
          (b: Buffer) => fromBinary(output, b),
          msg,
          (err, res) => (err ? reject(err) : resolve(res as MessageShape<O>)),
        ),
      );
    try {
      const res = await call(
        "/grpc.health.v1.Health/Check",
        HealthCheckRequestSchema,
        HealthCheckResponseSchema,
        create(HealthCheckRequestSchema),
      );
      expect(res.status).toBe(ServingStatus.SERVING);
      const err = await call(
        "/chronoring.v1.JobService/CreateJob",
        CreateJobRequestSchema,
        CreateJobResponseSchema,
        create(CreateJobRequestSchema, { name: "x" }),
      ).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
      // connect-es percent-encodes grpc-message with encodeURIComponent and
      // grpc-js decodes it with decodeURI, which leaves "%3A" for ":".
      expect(decodeURIComponent((err as grpc.ServiceError).details)).toMatch(/^schedule: /);
    } finally {
      client.close();
    }
  });
});

describe("plain HTTP", () => {
  it("takes a Connect JSON POST from fetch (HTTP/1.1)", async () => {
    const url = `${server.url}/chronoring.v1.JobService/CreateJob`;
    const ok = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "from curl",
        owner: "ops",
        schedule: { interval: "rate(5 minutes)" },
        target: { noop: { sleep: "1.5s" } },
      }),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toBeTruthy();
    const body = (await ok.json()) as { job: { id: string; target: { noop: { sleep: string } } } };
    expect(body.job.id).toMatch(/^job_/);
    expect(body.job.target.noop.sleep).toBe("1.500s");

    const bad = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", owner: "o", schedule: { cron: "* * * * *" } }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      code: "invalid_argument",
      message: "target: required: exactly one of http, script, noop, webhook, file, database",
    });
  });

  it("serves /metrics and /healthz", async () => {
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain("up 1");
    const healthz = await fetch(`${server.url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(healthz.headers.get("chronoring-tzdata")).toBe(process.versions.tz);
    expect(await healthz.text()).toBe("ok\n");
  });
});

describe("close", () => {
  it("lets a call in flight finish, then refuses new ones", async () => {
    const own = await startApiServer({
      host: "127.0.0.1",
      port: 0,
      logger,
      routes: routes({ commands: fake.commands, ready: () => true }),
    });
    expect(own.port).toBeGreaterThan(0);
    expect(own.url).toBe(`http://127.0.0.1:${own.port}`);
    const grpcClient = createClient(JobService, createGrpcTransport({ baseUrl: own.url }));
    const h1Client = createClient(
      JobService,
      createConnectTransport({ baseUrl: own.url, httpVersion: "1.1" }),
    );
    const health = createClient(Health, createGrpcTransport({ baseUrl: own.url }));
    // A Watch stream stays open until close() ends it.
    const watching = (async () => {
      const seen: ServingStatus[] = [];
      for await (const r of health.watch({})) seen.push(r.status);
      return seen;
    })();
    await grpcClient.listJobs({});
    fake.state.delayMs = 300;
    fake.state.delayed = 0;
    const inFlight = [grpcClient.listJobs({}), h1Client.listJobs({})];
    // Both calls are being served (a busy machine may take longer than 50 ms to connect).
    while (fake.state.delayed < 2) await new Promise((r) => setTimeout(r, 5));
    const closed = own.close();
    fake.state.delayMs = 0;
    const results = await Promise.allSettled(inFlight);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    await closed;
    expect(await watching).toEqual([ServingStatus.SERVING]);
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
  });
});
