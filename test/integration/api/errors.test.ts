import { createAdapters } from "../../../src/adapters/from-config.js";
/**
 * Every bad request gets its documented code (src/api/README.md, "Error codes"),
 * and an InvalidArgument message starts with the proto field path, against the
 * real app on DynamoDB Local and the SQS emulator, over gRPC, the Connect
 * protocol and gRPC-Web. A backend that cannot be reached gives Unavailable.
 */

import * as net from "node:net";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { type Backoff, RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { createInterceptors } from "../../../src/api/interceptors.js";
import { routes } from "../../../src/api/routes.js";
import { startApiServer } from "../../../src/api/server.js";
import { type App, startApp } from "../../../src/app.js";
import { systemClock } from "../../../src/core/clock.js";
import { createJobCommands } from "../../../src/core/job-commands.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { connectErrorOf, jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

type JobClient = Client<typeof JobService>;

/** Jobs in the states the rows need, made once per run. */
interface Fixtures {
  /** ACTIVE, version 1. */
  active: string;
  cancelled: string;
  /** A one-time job that fired. */
  finished: string;
}

interface Row {
  /** The behaviour, as the test name. */
  name: string;
  call: (client: JobClient, fx: Fixtures) => Promise<unknown>;
  code: Code;
  /** The field an InvalidArgument message starts with (`field: ...`). */
  field?: string;
}

const noop = { kind: { case: "noop" as const, value: {} } };
const daily = { kind: { case: "cron" as const, value: "0 3 * * *" } };
const valid = { name: "n", owner: "errors", schedule: daily, target: noop };
const http = (value: { method?: string; url: string; body?: Uint8Array }) => ({
  kind: { case: "http" as const, value },
});
/** Well formed, never created. */
const UNKNOWN_JOB = `job_${"0".repeat(26)}`;
const HOUR = 3_600_000;

const rows: Row[] = [
  // ---- CreateJob: schedule
  {
    name: "CreateJob without a schedule",
    call: (c) => c.createJob({ ...valid, schedule: undefined }),
    code: Code.InvalidArgument,
    field: "schedule",
  },
  {
    name: "CreateJob with a schedule that sets no kind",
    call: (c) => c.createJob({ ...valid, schedule: { timeZone: "UTC" } }),
    code: Code.InvalidArgument,
    field: "schedule",
  },
  {
    name: 'CreateJob with cron "61 * * * *" (minute out of range)',
    call: (c) =>
      c.createJob({ ...valid, schedule: { kind: { case: "cron", value: "61 * * * *" } } }),
    code: Code.InvalidArgument,
    field: "schedule.cron",
  },
  {
    name: "CreateJob with an AWS cron setting both day of month and day of week",
    call: (c) =>
      c.createJob({
        ...valid,
        schedule: { kind: { case: "cron", value: "cron(0 10 1 * MON *)" } },
      }),
    code: Code.InvalidArgument,
    field: "schedule.cron",
  },
  {
    name: 'CreateJob with time zone "Mars/Olympus"',
    call: (c) => c.createJob({ ...valid, schedule: { ...daily, timeZone: "Mars/Olympus" } }),
    code: Code.InvalidArgument,
    field: "schedule.time_zone",
  },
  {
    name: 'CreateJob with interval "500ms" (below 1 s)',
    call: (c) =>
      c.createJob({ ...valid, schedule: { kind: { case: "interval", value: "500ms" } } }),
    code: Code.InvalidArgument,
    field: "schedule.interval",
  },
  {
    name: 'CreateJob with interval "rate(0 minutes)"',
    call: (c) =>
      c.createJob({ ...valid, schedule: { kind: { case: "interval", value: "rate(0 minutes)" } } }),
    code: Code.InvalidArgument,
    field: "schedule.interval",
  },
  {
    name: "CreateJob with end_time before start_time",
    call: (c) =>
      c.createJob({
        ...valid,
        schedule: {
          kind: { case: "interval", value: "1m" },
          startTime: timestampFromMs(Date.now() + 2 * HOUR),
          endTime: timestampFromMs(Date.now() + HOUR),
        },
      }),
    code: Code.InvalidArgument,
    field: "schedule.end_time",
  },
  {
    name: "CreateJob with a negative after",
    call: (c) =>
      c.createJob({
        ...valid,
        schedule: { kind: { case: "after", value: { seconds: -1n, nanos: 0 } } },
      }),
    code: Code.InvalidArgument,
    field: "schedule.after",
  },
  // ---- CreateJob: target
  {
    name: "CreateJob without a target",
    call: (c) => c.createJob({ ...valid, target: undefined }),
    code: Code.InvalidArgument,
    field: "target",
  },
  {
    name: "CreateJob with an HTTP target whose URL is not absolute http(s)",
    call: (c) => c.createJob({ ...valid, target: http({ url: "ftp://example.com/x" }) }),
    code: Code.InvalidArgument,
    field: "target.http.url",
  },
  {
    name: "CreateJob with a GET that has a body",
    call: (c) =>
      c.createJob({
        ...valid,
        target: http({ method: "GET", url: "https://example.com", body: new Uint8Array([1]) }),
      }),
    code: Code.InvalidArgument,
    field: "target.http.body",
  },
  {
    name: "CreateJob with a script target without a command",
    call: (c) =>
      c.createJob({ ...valid, target: { kind: { case: "script", value: { command: "" } } } }),
    code: Code.InvalidArgument,
    field: "target.script.command",
  },
  // ---- CreateJob: name, owner, tags
  {
    name: "CreateJob with a blank name",
    call: (c) => c.createJob({ ...valid, name: "   " }),
    code: Code.InvalidArgument,
    field: "name",
  },
  {
    name: "CreateJob with a 201-character name",
    call: (c) => c.createJob({ ...valid, name: "x".repeat(201) }),
    code: Code.InvalidArgument,
    field: "name",
  },
  {
    name: "CreateJob without an owner",
    call: (c) => c.createJob({ ...valid, owner: "" }),
    code: Code.InvalidArgument,
    field: "owner",
  },
  {
    name: "CreateJob with 21 tags",
    call: (c) => c.createJob({ ...valid, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }),
    code: Code.InvalidArgument,
    field: "tags",
  },
  {
    name: "CreateJob with a tag holding a space",
    call: (c) => c.createJob({ ...valid, tags: ["ok", "not ok"] }),
    code: Code.InvalidArgument,
    field: "tags[1]",
  },
  {
    name: "CreateJob with a duplicate tag",
    call: (c) => c.createJob({ ...valid, tags: ["a", "b", "a"] }),
    code: Code.InvalidArgument,
    field: "tags[2]",
  },
  // ---- lists
  {
    name: "ListJobs with page_size 501",
    call: (c) => c.listJobs({ pageSize: 501 }),
    code: Code.InvalidArgument,
    field: "page_size",
  },
  {
    name: "ListJobs with a page_token this API did not return",
    call: (c) => c.listJobs({ pageToken: "not a token!" }),
    code: Code.InvalidArgument,
    field: "page_token",
  },
  {
    name: "ListJobs with a page_token that decodes to JSON but is not a key",
    call: (c) => c.listJobs({ pageToken: Buffer.from('{"id":{"N":"1"}}').toString("base64url") }),
    code: Code.InvalidArgument,
    field: "page_token",
  },
  {
    name: "ListJobs with an unknown status number",
    call: (c) => c.listJobs({ status: 99 as JobStatus }),
    code: Code.InvalidArgument,
    field: "status",
  },
  {
    name: "ListJobs with a malformed tag filter",
    call: (c) => c.listJobs({ tag: "a b" }),
    code: Code.InvalidArgument,
    field: "tag",
  },
  {
    name: "ListJobs with a name filter over 200 characters",
    call: (c) => c.listJobs({ nameContains: "x".repeat(201) }),
    code: Code.InvalidArgument,
    field: "name_contains",
  },
  {
    name: "ListExecutions without job_id or worker_id",
    call: (c) => c.listExecutions({}),
    code: Code.InvalidArgument,
    field: "job_id",
  },
  {
    name: "ListExecutions with a malformed job_id",
    call: (c) => c.listExecutions({ jobId: "job_nope" }),
    code: Code.InvalidArgument,
    field: "job_id",
  },
  {
    name: "ListExecutions with page_size 501",
    call: (c, fx) => c.listExecutions({ jobId: fx.active, pageSize: 501 }),
    code: Code.InvalidArgument,
    field: "page_size",
  },
  {
    name: "ListExecutions with a page_token this API did not return",
    call: (c, fx) => c.listExecutions({ jobId: fx.active, pageToken: "%%%" }),
    code: Code.InvalidArgument,
    field: "page_token",
  },
  // ---- one job or execution by id
  {
    name: "GetJob with a malformed id",
    call: (c) => c.getJob({ id: "job_123" }),
    code: Code.InvalidArgument,
    field: "id",
  },
  {
    name: "GetJob without an id",
    call: (c) => c.getJob({}),
    code: Code.InvalidArgument,
    field: "id",
  },
  {
    name: "GetJob with a well-formed id that does not exist",
    call: (c) => c.getJob({ id: UNKNOWN_JOB }),
    code: Code.NotFound,
  },
  {
    name: "DeleteJob with a malformed id",
    call: (c) => c.deleteJob({ id: "JOB_X" }),
    code: Code.InvalidArgument,
    field: "id",
  },
  {
    name: "DeleteJob with a well-formed id that does not exist",
    call: (c) => c.deleteJob({ id: UNKNOWN_JOB }),
    code: Code.NotFound,
  },
  {
    name: "TriggerJob with a well-formed id that does not exist",
    call: (c) => c.triggerJob({ id: UNKNOWN_JOB }),
    code: Code.NotFound,
  },
  {
    name: "GetExecution with a malformed id",
    call: (c, fx) => c.getExecution({ id: `${fx.active}:abc:1` }),
    code: Code.InvalidArgument,
    field: "id",
  },
  {
    name: "GetExecution with a well-formed id that does not exist",
    call: (c, fx) => c.getExecution({ id: `${fx.active}:1700000000000:1` }),
    code: Code.NotFound,
  },
  // ---- UpdateJob
  {
    name: "UpdateJob without a job",
    call: (c) => c.updateJob({ updateMask: { paths: ["name"] } }),
    code: Code.InvalidArgument,
    field: "job",
  },
  {
    name: "UpdateJob with an empty update_mask",
    call: (c, fx) => c.updateJob({ job: { id: fx.active, name: "x" }, updateMask: { paths: [] } }),
    code: Code.InvalidArgument,
    field: "update_mask",
  },
  {
    name: "UpdateJob with an update_mask path that may not change (status)",
    call: (c, fx) =>
      c.updateJob({ job: { id: fx.active }, updateMask: { paths: ["name", "status"] } }),
    code: Code.InvalidArgument,
    field: "update_mask",
  },
  {
    name: "UpdateJob with a malformed job.id",
    call: (c) => c.updateJob({ job: { id: "nope", name: "x" }, updateMask: { paths: ["name"] } }),
    code: Code.InvalidArgument,
    field: "job.id",
  },
  {
    name: "UpdateJob setting a blank name reports job.name",
    call: (c, fx) =>
      c.updateJob({ job: { id: fx.active, name: " " }, updateMask: { paths: ["name"] } }),
    code: Code.InvalidArgument,
    field: "job.name",
  },
  {
    name: "UpdateJob setting a bad cron reports job.schedule.cron",
    call: (c, fx) =>
      c.updateJob({
        job: { id: fx.active, schedule: { kind: { case: "cron", value: "61 * * * *" } } },
        updateMask: { paths: ["schedule"] },
      }),
    code: Code.InvalidArgument,
    field: "job.schedule.cron",
  },
  {
    name: "UpdateJob with a negative expected_version",
    call: (c, fx) =>
      c.updateJob({
        job: { id: fx.active, name: "x" },
        updateMask: { paths: ["name"] },
        expectedVersion: -1n,
      }),
    code: Code.InvalidArgument,
    field: "expected_version",
  },
  {
    name: "UpdateJob with an expected_version the job is not at",
    call: (c, fx) =>
      c.updateJob({
        job: { id: fx.active, name: "x" },
        updateMask: { paths: ["name"] },
        expectedVersion: 7n,
      }),
    code: Code.Aborted,
  },
  {
    name: "UpdateJob of a well-formed id that does not exist",
    call: (c) =>
      c.updateJob({ job: { id: UNKNOWN_JOB, name: "x" }, updateMask: { paths: ["name"] } }),
    code: Code.NotFound,
  },
  // ---- actions the job's state forbids
  {
    name: "UpdateJob of a cancelled job",
    call: (c, fx) =>
      c.updateJob({ job: { id: fx.cancelled, name: "x" }, updateMask: { paths: ["name"] } }),
    code: Code.FailedPrecondition,
  },
  {
    name: "ResumeJob of a cancelled job",
    call: (c, fx) => c.resumeJob({ id: fx.cancelled }),
    code: Code.FailedPrecondition,
  },
  {
    name: "PauseJob of a cancelled job",
    call: (c, fx) => c.pauseJob({ id: fx.cancelled }),
    code: Code.FailedPrecondition,
  },
  {
    name: "TriggerJob of a cancelled job",
    call: (c, fx) => c.triggerJob({ id: fx.cancelled }),
    code: Code.FailedPrecondition,
  },
  {
    name: "PauseJob of a one-time job that has fired (FINISHED)",
    call: (c, fx) => c.pauseJob({ id: fx.finished }),
    code: Code.FailedPrecondition,
  },
  {
    name: "ResumeJob of a FINISHED job",
    call: (c, fx) => c.resumeJob({ id: fx.finished }),
    code: Code.FailedPrecondition,
  },
  // ---- retry_policy (CreateJob, UpdateJob)
  {
    name: "CreateJob with retry_policy.max_retries 101",
    call: (c) =>
      c.createJob({
        ...valid,
        retryPolicy: { strategy: RetryStrategy.ON_FAILURE, maxRetries: 101 },
      }),
    code: Code.InvalidArgument,
    field: "retry_policy.max_retries",
  },
  {
    name: "CreateJob with a negative retry_policy.retry_delay",
    call: (c) => c.createJob({ ...valid, retryPolicy: { retryDelay: { seconds: -1n, nanos: 0 } } }),
    code: Code.InvalidArgument,
    field: "retry_policy.retry_delay",
  },
  {
    name: "CreateJob with retry_policy.retry_delay over 7 days",
    call: (c) =>
      c.createJob({ ...valid, retryPolicy: { retryDelay: { seconds: 8n * 86_400n, nanos: 0 } } }),
    code: Code.InvalidArgument,
    field: "retry_policy.retry_delay",
  },
  {
    name: "CreateJob with retry_policy.max_delay below retry_delay",
    call: (c) =>
      c.createJob({
        ...valid,
        retryPolicy: {
          retryDelay: { seconds: 10n, nanos: 0 },
          maxDelay: { seconds: 5n, nanos: 0 },
        },
      }),
    code: Code.InvalidArgument,
    field: "retry_policy.max_delay",
  },
  {
    name: "CreateJob with retry_policy.jitter 1.5",
    call: (c) => c.createJob({ ...valid, retryPolicy: { jitter: 1.5 } }),
    code: Code.InvalidArgument,
    field: "retry_policy.jitter",
  },
  {
    name: "CreateJob with an unknown retry_policy.strategy",
    call: (c) => c.createJob({ ...valid, retryPolicy: { strategy: 9 as RetryStrategy } }),
    code: Code.InvalidArgument,
    field: "retry_policy.strategy",
  },
  {
    name: "CreateJob with an unknown retry_policy.backoff",
    call: (c) => c.createJob({ ...valid, retryPolicy: { backoff: 9 as Backoff } }),
    code: Code.InvalidArgument,
    field: "retry_policy.backoff",
  },
  {
    name: "UpdateJob with retry_policy.jitter -0.5",
    call: (c, fx) =>
      c.updateJob({
        job: { id: fx.active, retryPolicy: { jitter: -0.5 } },
        updateMask: { paths: ["retry_policy"] },
      }),
    code: Code.InvalidArgument,
    field: "job.retry_policy.jitter",
  },
  // ---- PreviewSchedule
  {
    name: "PreviewSchedule with count 101",
    call: (c) => c.previewSchedule({ schedule: daily, count: 101 }),
    code: Code.InvalidArgument,
    field: "count",
  },
  {
    name: "PreviewSchedule without a schedule",
    call: (c) => c.previewSchedule({ count: 3 }),
    code: Code.InvalidArgument,
    field: "schedule",
  },
  {
    name: "PreviewSchedule of a bad cron",
    call: (c) => c.previewSchedule({ schedule: { kind: { case: "cron", value: "* * *" } } }),
    code: Code.InvalidArgument,
    field: "schedule.cron",
  },
];

/** What a client may see of an error caused by a backend: none of its internals. */
const INTERNALS = /ECONNREFUSED|127\.0\.0\.1|DynamoDB[A-Z]\w*Exception|\bat \w|\n|Error:/;

const protocols: Array<[string, (baseUrl: string) => Transport]> = [
  ["gRPC", (baseUrl) => createGrpcTransport({ baseUrl })],
  [
    "the Connect protocol (HTTP/1.1, JSON)",
    (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
  ],
  ["gRPC-Web (HTTP/1.1)", (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
];

describe("bad requests get their documented code and name the bad field", () => {
  let app: App;
  const fx: Fixtures = { active: "", cancelled: "", finished: "" };

  beforeAll(async () => {
    app = await startApp(testConfig("errors"), { logger: silentLogger });
    const client = jobClient(app.apiUrl!);
    const create = async (req: Parameters<JobClient["createJob"]>[0]) =>
      (await client.createJob(req)).job!.id;
    fx.active = await create(valid);
    fx.cancelled = await create(valid);
    await client.deleteJob({ id: fx.cancelled });
    fx.finished = await create({
      ...valid,
      schedule: { kind: { case: "after", value: { seconds: 0n, nanos: 0 } } },
    });
    await waitFor(
      "the one-time job to finish",
      async () => {
        const { job } = await client.getJob({ id: fx.finished });
        return job?.status === JobStatus.FINISHED ? job : undefined;
      },
      20_000,
    );
  });
  afterAll(() => app?.close());

  describe.each(protocols)("over %s", (_, transport) => {
    let client: JobClient;
    beforeAll(() => {
      client = createClient(JobService, transport(app.apiUrl!));
    });

    for (const row of rows) {
      const title = `${row.name} → ${Code[row.code]}${row.field ? ` on ${row.field}` : ""}`;
      it(title, async () => {
        const err = await connectErrorOf(row.call(client, fx));
        expect(Code[err.code], err.rawMessage).toBe(Code[row.code]);
        if (row.field !== undefined)
          expect(err.rawMessage.startsWith(`${row.field}: `), err.rawMessage).toBe(true);
      });
    }
  });

  it("leaves the job untouched when UpdateJob is refused for its version", async () => {
    const client = jobClient(app.apiUrl!);
    const { job } = await client.getJob({ id: fx.active });
    expect(job?.version).toBe(1n);
    expect(job?.name).toBe(valid.name);
  });
});

/**
 * The API composed as app.ts does, over adapters whose DynamoDB and SQS
 * endpoint is `endpoint`. startApp itself would wait up to 60 s for DynamoDB.
 */
async function startApiOver(endpoint: string) {
  const config = testConfig("errors-down", {
    DYNAMODB_ENDPOINT: endpoint,
    SQS_ENDPOINT: endpoint,
    AWS_MAX_ATTEMPTS: "1",
    AWS_REQUEST_TIMEOUT_MS: "500",
  });
  const { dynamo, jobs, executions, queue } = createAdapters(config);
  const commands = createJobCommands({
    jobs,
    executions,
    queue,
    clock: systemClock,
    partitionCount: config.store.partitions,
    startTimeoutMs: config.scheduler.startTimeoutMs,
  });
  const server = await startApiServer({
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    routes: routes({ commands, ready: () => true }),
    interceptors: createInterceptors(silentLogger),
    closeTimeoutMs: 1000,
  });
  return {
    client: jobClient(server.url),
    async close() {
      await server.close();
      dynamo.destroy();
    },
  };
}

describe("a backend that refuses connections gives Unavailable, not a crash or a leak", () => {
  let api: Awaited<ReturnType<typeof startApiOver>>;

  // Nothing listens on port 1: every call is refused at once.
  beforeAll(async () => {
    api = await startApiOver("http://127.0.0.1:1");
  });
  afterAll(() => api?.close());

  const calls: Array<[string, (c: JobClient) => Promise<unknown>]> = [
    ["GetJob", (c) => c.getJob({ id: UNKNOWN_JOB })],
    ["CreateJob", (c) => c.createJob(valid)],
    ["ListJobs", (c) => c.listJobs({})],
    ["TriggerJob", (c) => c.triggerJob({ id: UNKNOWN_JOB })],
    ["ListExecutions", (c) => c.listExecutions({ jobId: UNKNOWN_JOB })],
  ];

  it.each(calls)("%s answers Unavailable with a message free of internals", async (_, call) => {
    const err = await connectErrorOf(call(api.client));
    expect(Code[err.code], err.rawMessage).toBe(Code[Code.Unavailable]);
    expect(err.rawMessage).toMatch(/retry/);
    expect(err.rawMessage).not.toMatch(INTERNALS);
  });

  it("tags the Unavailable error with the correlation id of its log line", async () => {
    const err = await connectErrorOf(api.client.getJob({ id: UNKNOWN_JOB }));
    expect(err.metadata.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("still validates before touching the backend (InvalidArgument, not Unavailable)", async () => {
    const err = await connectErrorOf(api.client.getJob({ id: "job_123" }));
    expect(err.code).toBe(Code.InvalidArgument);
  });

  it("still answers PreviewSchedule, which needs no backend", async () => {
    const { fireTimes } = await api.client.previewSchedule({ schedule: daily, count: 2 });
    expect(fireTimes).toHaveLength(2);
  });
});

describe("a backend that accepts connections but never answers", () => {
  let api: Awaited<ReturnType<typeof startApiOver>>;
  let silent: net.Server;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    api = await startApiOver(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await api?.close();
    await new Promise((resolve) => silent?.close(resolve));
  });

  // The adapters set the SDK's `throwOnRequestTimeout`: without it a request
  // timeout only logs a warning and the call hangs until the client gives up.
  it("GetJob answers Unavailable within CHRONORING_AWS_REQUEST_TIMEOUT_MS", async () => {
    const err = await connectErrorOf(api.client.getJob({ id: UNKNOWN_JOB }, { timeoutMs: 3000 }));
    expect(Code[err.code], err.rawMessage).toBe(Code[Code.Unavailable]);
  });
});
