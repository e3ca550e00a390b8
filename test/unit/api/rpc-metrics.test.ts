/**
 * The call interceptor measures every call once, when it ends, as
 * `chronoring_rpc_duration_seconds{service,method,code}`: unary calls that
 * succeed or fail with each kind of code, and a server stream that the
 * client cancels (measured when it ends, not when it starts).
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { createInterceptors } from "../../../src/api/interceptors.js";
import { routes } from "../../../src/api/routes.js";
import { createRpcMetrics } from "../../../src/api/rpc-metrics.js";
import { type ApiServer, startApiServer } from "../../../src/api/server.js";
import { notFound } from "../../../src/core/errors.js";
import { withInputChecks } from "../../../src/core/job-command-checks.js";
import type { JobCommands } from "../../../src/core/job-commands.js";
import { compileTargetAllow } from "../../../src/core/target-address.js";

const UNKNOWN_JOB = `job_${"z".repeat(26)}`;
const BROKEN_JOB = `job_${"y".repeat(26)}`;

/**
 * Only GetJob is called: a malformed id is InvalidArgument (core's input
 * checks), unknown ids are NotFound, one id breaks (Internal).
 */
const commands = withInputChecks(
  {
    async get(_tenant: string, id: string) {
      if (id === BROKEN_JOB) throw new Error("store exploded");
      throw notFound(`job ${id}`);
    },
  } as unknown as JobCommands,
  { emailEnabled: false, targetAllow: compileTargetAllow([]) },
);

let server: ApiServer;
const registry = new Registry();

beforeAll(async () => {
  const logger = pino({ level: "silent" });
  server = await startApiServer({
    host: "127.0.0.1",
    port: 0,
    logger,
    routes: routes({ commands, ready: () => true }),
    interceptors: createInterceptors(logger, { metrics: createRpcMetrics(registry) }),
  });
});
afterAll(async () => {
  await server?.close();
});

/** Observations of the histogram by `service/method/code`, read from the exposition text. */
async function counts(): Promise<Record<string, number>> {
  const text = await registry.getSingleMetricAsString("chronoring_rpc_duration_seconds");
  const out: Record<string, number> = {};
  const line =
    /^chronoring_rpc_duration_seconds_count\{service="([^"]+)",method="([^"]+)",code="([^"]+)"\} (\S+)$/gm;
  for (const [, service, method, code, value] of text.matchAll(line)) {
    out[`${service}/${method}/${code}`] = Number(value);
  }
  return out;
}

async function codeOf(call: Promise<unknown>): Promise<Code> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err).code;
  }
  throw new Error("expected the call to fail");
}

describe("chronoring_rpc_duration_seconds", () => {
  it("counts each call once by service, method and code, over gRPC and Connect", async () => {
    const grpc = createClient(JobService, createGrpcTransport({ baseUrl: server.url }));
    const connect = createClient(
      JobService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect(await codeOf(grpc.getJob({ id: "bad" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(connect.getJob({ id: UNKNOWN_JOB }))).toBe(Code.NotFound);
    expect(await codeOf(grpc.getJob({ id: UNKNOWN_JOB }))).toBe(Code.NotFound);
    expect(await codeOf(grpc.getJob({ id: BROKEN_JOB }))).toBe(Code.Internal);
    await health.check({});

    expect(await counts()).toEqual({
      "chronoring.v1.JobService/GetJob/invalid_argument": 1,
      "chronoring.v1.JobService/GetJob/not_found": 2,
      "chronoring.v1.JobService/GetJob/internal": 1,
      "grpc.health.v1.Health/Check/ok": 1,
    });
  });

  it("measures a stream when it ends: a Watch the client cancels is `canceled`", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    const abort = new AbortController();
    const stream = health.watch({ service: "" }, { signal: abort.signal });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    // Open, one message sent: not measured yet.
    expect((await counts())["grpc.health.v1.Health/Watch/canceled"]).toBeUndefined();
    abort.abort();
    expect(await codeOf(iterator.next())).toBe(Code.Canceled);
    await expect.poll(async () => (await counts())["grpc.health.v1.Health/Watch/canceled"]).toBe(1);
  });

  it("keeps durations in seconds, in the histogram's buckets", async () => {
    const text = await registry.getSingleMetricAsString("chronoring_rpc_duration_seconds");
    expect(text).toContain("# TYPE chronoring_rpc_duration_seconds histogram");
    expect(text).toMatch(
      /chronoring_rpc_duration_seconds_bucket\{le="10",service="grpc.health.v1.Health",method="Check",code="ok"\} 1/,
    );
    const sum = text.match(
      /chronoring_rpc_duration_seconds_sum\{service="grpc.health.v1.Health",method="Check",code="ok"\} (\S+)/,
    );
    // One local call: well under a second, and not in milliseconds.
    expect(Number(sum?.[1])).toBeGreaterThan(0);
    expect(Number(sum?.[1])).toBeLessThan(10);
  });
});
