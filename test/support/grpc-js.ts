/**
 * Chronoring's services through `@grpc/grpc-js`, a gRPC implementation that
 * shares nothing with the server's (connect-node): `@grpc/proto-loader` reads
 * `proto/` when the test runs, so neither `gen/` nor protobuf-es is involved
 * in encoding a request or decoding an answer.
 *
 * Messages are proto-loader's plain objects: lowerCamel fields, int64 as
 * strings, enums by name, a oneof's case in a virtual field named after the
 * oneof (`schedule.kind === "cron"`), Timestamps and Durations as
 * `{ seconds, nanos }`.
 */

import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));

/** Every service the API port serves, by its short name. */
export const SERVICES = {
  JobService: "chronoring.v1.JobService",
  CalendarService: "chronoring.v1.CalendarService",
  WorkflowService: "chronoring.v1.WorkflowService",
  DeadLetterService: "chronoring.v1.DeadLetterService",
  ClusterService: "chronoring.v1.ClusterService",
  TenantService: "chronoring.v1.TenantService",
  Health: "grpc.health.v1.Health",
} as const;
export type ServiceName = keyof typeof SERVICES;

const FILES = [
  "chronoring/v1/job_service.proto",
  "chronoring/v1/calendar_service.proto",
  "chronoring/v1/workflow_service.proto",
  "chronoring/v1/dead_letter_service.proto",
  "chronoring/v1/cluster_service.proto",
  "chronoring/v1/tenant_service.proto",
  "grpc/health/v1/health.proto",
];

let loaded: grpc.GrpcObject | undefined;
function services(): grpc.GrpcObject {
  loaded ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(FILES, {
      includeDirs: [PROTO_ROOT],
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    }),
  );
  return loaded;
}

/** `chronoring.v1.JobService` → its client constructor. */
function constructorOf(fullName: string): grpc.ServiceClientConstructor {
  let node: unknown = services();
  for (const part of fullName.split(".")) node = (node as grpc.GrpcObject)[part];
  if (typeof node !== "function") throw new Error(`${fullName} is not in ${FILES.join(", ")}`);
  return node as grpc.ServiceClientConstructor;
}

/** Adds `authorization: Bearer <token>` to every call (grpc-js allows no call credentials on an insecure channel). */
function bearer(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/** A decoded message; the tests check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: proto-loader decodes to plain objects typed by no generated code.
export type Message = Record<string, any>;

type UnaryMethod = (
  request: Message,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: Message) => void,
) => grpc.ClientUnaryCall;
type StreamMethod = (
  request: Message,
  options: grpc.CallOptions,
) => grpc.ClientReadableStream<Message>;

export interface GrpcJsClientOptions {
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Deadline of each unary call; 10 s by default. */
  deadlineMs?: number;
}

export interface GrpcJsClient {
  /** A unary call by method name (`CreateJob`); rejects with the `grpc.ServiceError`. */
  call(method: string, request?: Message): Promise<Message>;
  /** A server-streaming call (Health `Watch`); cancel the stream to end it. */
  stream(method: string, request?: Message): grpc.ClientReadableStream<Message>;
  close(): void;
}

/** A grpc-js client of one service at `apiUrl` (`http://host:port`: h2c, no TLS). */
export function grpcJsClient(
  apiUrl: string,
  service: ServiceName,
  opts: GrpcJsClientOptions = {},
): GrpcJsClient {
  const Client = constructorOf(SERVICES[service]);
  const client = new Client(new URL(apiUrl).host, grpc.credentials.createInsecure(), {
    interceptors: opts.token ? [bearer(opts.token)] : [],
  });
  const method = <T>(name: string): T => {
    const fn = (client as unknown as Record<string, unknown>)[name];
    if (typeof fn !== "function") throw new Error(`${SERVICES[service]} has no method ${name}`);
    return fn.bind(client) as T;
  };
  return {
    call: (name, request = {}) =>
      new Promise((resolve, reject) => {
        method<UnaryMethod>(name)(
          request,
          { deadline: Date.now() + (opts.deadlineMs ?? 10_000) },
          (err, response) => (err ? reject(err) : resolve(response ?? {})),
        );
      }),
    stream: (name, request = {}) => method<StreamMethod>(name)(request, {}),
    close: () => client.close(),
  };
}

/**
 * How a call failed: the status code's name and the message. connect-es
 * percent-encodes `grpc-message` as the spec says, and grpc-js decodes it with
 * `decodeURI`, which leaves `%3A` for `:`; `decodeURIComponent` undoes the rest.
 */
export async function failureOf(
  call: Promise<unknown>,
): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as grpc.ServiceError;
    if (typeof e.code !== "number") throw err;
    return { code: grpc.status[e.code] ?? String(e.code), message: decodeURIComponent(e.details) };
  }
  throw new Error("expected the call to fail");
}
