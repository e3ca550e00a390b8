/**
 * The request body limit of the API port (CHRONORING_API_MAX_BODY_BYTES,
 * default 1 MiB) on a real server: what each request gets, over Connect,
 * gRPC and gRPC-Web on HTTP/1.1 and HTTP/2, with and without a declared
 * length, and on plain HTTP routes. Memory under load: test/e2e/api-body-memory.test.ts.
 */

import * as http2 from "node:http2";
import * as net from "node:net";
import { gzipSync } from "node:zlib";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { DEFAULT_MAX_BODY_BYTES } from "../../../src/api/body-limit.js";
import { routes } from "../../../src/api/routes.js";
import { type ApiServer, type HttpRoute, startApiServer } from "../../../src/api/server.js";
import { silentLogger } from "../../support/app.js";
import { envelope, paddedMessage, type RawRequest, rawCall, zeros } from "../../support/raw-rpc.js";
import { storelessCommands } from "../../support/storeless.js";

const LIMIT = DEFAULT_MAX_BODY_BYTES;
const REFUSAL = `request body exceeds ${LIMIT} bytes (CHRONORING_API_MAX_BODY_BYTES)`;
const CHECK = "/grpc.health.v1.Health/Check";

let server: ApiServer;

/** A plain HTTP route (as a REST layer would add): answers the size of the body it read. */
const countingRoute: HttpRoute = (req, res, body) => {
  if (req.url !== "/count") return undefined;
  return (async () => {
    let n = 0;
    for await (const chunk of body.chunks) n += chunk.length;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ bytes: n }));
  })();
};

beforeAll(async () => {
  // No maxBodyBytes: the default applies.
  server = await startApiServer({
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    routes: routes({ commands: storelessCommands(), ready: () => true }),
    httpRoutes: countingRoute,
  });
});
afterAll(() => server?.close());

type Transportation = [label: string, protocol: RawRequest["protocol"], http: "1.1" | "2"];
const TRANSPORTS: Transportation[] = [
  ["Connect HTTP/1.1", "connect", "1.1"],
  ["Connect HTTP/2", "connect", "2"],
  ["gRPC HTTP/2", "grpc", "2"],
  ["gRPC-Web HTTP/1.1", "grpc-web", "1.1"],
  ["gRPC-Web HTTP/2", "grpc-web", "2"],
];

/** A Health.Check request whose whole body (with its envelope, if any) is `size` bytes. */
const bodyOf = (protocol: RawRequest["protocol"], size: number) =>
  protocol === "connect" ? paddedMessage(size) : envelope(paddedMessage(size - 5));

/** `bytes` cut in pieces of `size`, each sent on its own. */
async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    yield bytes.subarray(i, i + size);
    // Let each piece leave on its own frame or chunk.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** What a request got: "served", a Connect code name, or an HTTP status and JSON body. */
type Outcome = "served" | keyof typeof Code | `HTTP ${number} ${string}`;

interface Case {
  name: string;
  send: () => Promise<{ code?: Code; message?: string; status: number; body?: Buffer }>;
  gets: Outcome;
}

function rpcCases([label, protocol, httpVersion]: Transportation): Case[] {
  const call = (over: Partial<RawRequest>) => () =>
    rawCall({
      baseUrl: server.url,
      path: CHECK,
      protocol,
      httpVersion,
      body: new Uint8Array(),
      ...over,
    });
  const atLimit = bodyOf(protocol, LIMIT);
  const overLimit = bodyOf(protocol, LIMIT + 1);
  const cases: Case[] = [
    {
      name: `${label}: a body of exactly the limit, with content-length`,
      send: call({ body: atLimit, contentLength: atLimit.length }),
      gets: "served",
    },
    {
      name: `${label}: a body of exactly the limit, without content-length`,
      send: call({ body: atLimit }),
      gets: "served",
    },
    {
      name: `${label}: one byte over, with content-length`,
      send: call({ body: overLimit, contentLength: overLimit.length }),
      gets: "ResourceExhausted",
    },
    {
      name: `${label}: one byte over, without content-length`,
      send: call({ body: overLimit }),
      gets: "ResourceExhausted",
    },
    {
      // Refused on the header alone: the body is never sent.
      name: `${label}: content-length of 2 MiB declared, body never sent`,
      send: call({ body: new Uint8Array(10), contentLength: 2 * LIMIT, keepOpen: true }),
      gets: "ResourceExhausted",
    },
    {
      // The client goes on sending after the answer; the server throws the
      // rest away, then resets the connection or stream.
      name: `${label}: 64 MiB streamed without a length`,
      send: call({
        body: (async function* () {
          yield atLimit;
          yield* zeros(64 * LIMIT);
        })(),
        uploadAfterAnswer: true,
      }),
      gets: "ResourceExhausted",
    },
  ];
  if (protocol !== "connect") {
    cases.push(
      {
        // The 5-byte prefix declares the message: refused before it arrives.
        name: `${label}: a message prefix declaring 2 MiB, the message never sent`,
        send: call({ body: envelope(new Uint8Array(10), 2 * LIMIT), keepOpen: true }),
        gets: "ResourceExhausted",
      },
      {
        name: `${label}: that prefix sent one byte at a time`,
        send: call({ body: pieces(envelope(new Uint8Array(10), 2 * LIMIT), 1), keepOpen: true }),
        gets: "ResourceExhausted",
      },
      {
        name: `${label}: a body of exactly the limit in pieces of 1000 bytes`,
        send: call({ body: pieces(atLimit, 1000) }),
        gets: "served",
      },
    );
  }
  return cases;
}

/** The generated clients, which send no content-length, see the refusal in their own protocol. */
function clientCase(label: string, transport: () => Transport): Case {
  return {
    name: `${label} client: a 2 MiB Health.Check`,
    async send() {
      const health = createClient(Health, transport());
      try {
        await health.check({ service: "x".repeat(2 * LIMIT) });
        return { status: 200 };
      } catch (err) {
        const e = ConnectError.from(err);
        return { status: 0, code: e.code, message: e.rawMessage };
      }
    },
    gets: "ResourceExhausted",
  };
}

function grpcJsCase(): Case {
  return {
    name: "@grpc/grpc-js client: a 2 MiB Health.Check",
    send: () =>
      new Promise((resolve) => {
        const client = new grpc.Client(
          server.url.replace("http://", ""),
          grpc.credentials.createInsecure(),
        );
        client.makeUnaryRequest(
          CHECK,
          (m: Buffer) => m,
          (b: Buffer) => b,
          Buffer.from(paddedMessage(2 * LIMIT)),
          (err) => {
            client.close();
            resolve(
              err
                ? { status: 0, code: err.code as number, message: decodeURIComponent(err.details) }
                : { status: 200 },
            );
          },
        );
      }),
    gets: "ResourceExhausted",
  };
}

const plain = (over: Partial<RawRequest>) => () =>
  rawCall({
    baseUrl: server.url,
    path: "/count",
    protocol: "connect",
    httpVersion: "1.1",
    body: new Uint8Array(),
    headers: { "content-type": "application/octet-stream" },
    ...over,
  });
const TOO_LARGE = `HTTP 413 {"code":"resource_exhausted","message":"${REFUSAL}"}` as const;

const CASES: Case[] = [
  ...TRANSPORTS.flatMap(rpcCases),
  clientCase("connect-es gRPC", () => createGrpcTransport({ baseUrl: server.url })),
  clientCase("connect-es gRPC-Web HTTP/1.1", () =>
    createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  ),
  clientCase("connect-es Connect HTTP/2", () =>
    createConnectTransport({ baseUrl: server.url, httpVersion: "2" }),
  ),
  grpcJsCase(),
  {
    // connect's readMaxBytes bounds a message after decompression; its message names it.
    name: "Connect HTTP/1.1: 2 MiB of zeros gzipped to a few KiB",
    send: () => {
      const body = gzipSync(paddedMessage(2 * LIMIT));
      return rawCall({
        baseUrl: server.url,
        path: CHECK,
        protocol: "connect",
        httpVersion: "1.1",
        body,
        contentLength: body.length,
        headers: { "content-encoding": "gzip" },
      });
    },
    gets: "ResourceExhausted",
  },
  {
    name: "a REST-style route: 1 MiB without content-length",
    send: plain({ body: zeros(LIMIT) }),
    gets: `HTTP 200 {"bytes":${LIMIT}}`,
  },
  {
    name: "a REST-style route: one byte over, without content-length",
    send: plain({ body: zeros(LIMIT + 1) }),
    gets: TOO_LARGE,
  },
  {
    name: "a REST-style route: content-length of 2 MiB declared, body never sent",
    send: plain({ body: new Uint8Array(10), contentLength: 2 * LIMIT, keepOpen: true }),
    gets: TOO_LARGE,
  },
  {
    name: "a REST-style route over HTTP/2: 3 MiB without a length",
    send: plain({ body: zeros(3 * LIMIT), httpVersion: "2" }),
    gets: TOO_LARGE,
  },
  {
    name: "GET /healthz with a content-length of 2 MiB",
    send: plain({ path: "/healthz", method: "GET", contentLength: 2 * LIMIT, keepOpen: true }),
    gets: TOO_LARGE,
  },
  {
    name: "an unknown path with a content-length of 2 MiB",
    send: plain({ path: "/nope", contentLength: 2 * LIMIT, keepOpen: true }),
    gets: TOO_LARGE,
  },
  {
    // The client waits for "100 Continue", which never comes.
    name: "Connect HTTP/1.1: content-length of 2 MiB with Expect: 100-continue",
    send: () =>
      rawCall({
        baseUrl: server.url,
        path: CHECK,
        protocol: "connect",
        httpVersion: "1.1",
        body: new Uint8Array(),
        headers: { expect: "100-continue" },
        contentLength: 2 * LIMIT,
        keepOpen: true,
      }),
    gets: "ResourceExhausted",
  },
];

describe("request bodies over CHRONORING_API_MAX_BODY_BYTES", () => {
  it.each(CASES)("$name → $gets", async ({ send, gets }) => {
    const got = await send();
    if (gets === "served") {
      expect(got.code).toBeUndefined();
      expect(got.status).toBe(200);
    } else if (gets.startsWith("HTTP ")) {
      expect(`HTTP ${got.status} ${got.body?.toString()}`).toBe(gets);
    } else {
      expect(got.code === undefined ? "served" : Code[got.code]).toBe(gets);
      // Only connect's decompression check speaks of readMaxBytes.
      expect(got.message).toMatch(
        got.message?.includes("readMaxBytes") ? /readMaxBytes 1048576/ : REFUSAL,
      );
    }
  });

  it("answers a refusal with the caller's x-request-id, like any other answer", async () => {
    const over = (protocol: RawRequest["protocol"], httpVersion: "1.1" | "2", path = CHECK) => {
      const body = bodyOf(protocol, LIMIT + 1);
      return rawCall({
        baseUrl: server.url,
        path,
        protocol,
        httpVersion,
        body,
        contentLength: body.length,
        headers: { "x-request-id": `refused-${protocol}` },
      });
    };
    const connect = await over("connect", "1.1");
    expect(connect.headers.get("x-request-id")).toBe("refused-connect");
    const grpc = await over("grpc", "2");
    expect(grpc.trailers.get("x-request-id")).toBe("refused-grpc");
    const rest = await over("connect", "1.1", "/count");
    expect([rest.status, rest.headers.get("x-request-id")]).toEqual([413, "refused-connect"]);
  });

  it.each([
    ["an HTTP/1.0 request without Host", "HTTP/1.0\r\n"],
    ["an HTTP/1.1 request whose Host is no host name", "HTTP/1.1\r\nhost: a b\r\n"],
  ])("answers %s 400, and stays up", async (_, requestLine) => {
    // connect-node's own adapter throws out of the request listener here,
    // which ends the process.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1");
      let text = "";
      socket.on("data", (b) => {
        text += b.toString();
      });
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
      socket.end(
        `POST ${CHECK} ${requestLine}connection: close\r\ncontent-type: application/proto\r\ncontent-length: 0\r\n\r\n`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("leaves the server serving normal calls afterwards", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    expect((await health.check({})).status).toBe(1);
    const healthz = await fetch(`${server.url}/healthz`);
    expect(healthz.status).toBe(200);
  });
});

describe("other bounds on the port", () => {
  it("lets at most 256 streams be open at once on one HTTP/2 connection", async () => {
    const session = http2.connect(server.url);
    try {
      const settings = await new Promise<http2.Settings>((resolve) =>
        session.once("remoteSettings", resolve),
      );
      expect(settings.maxConcurrentStreams).toBe(256);
    } finally {
      session.close();
    }
  });

  it("routes a connection whose HTTP/2 preface comes one byte at a time", async () => {
    // The first-bytes buffer waits while the bytes so far match the preface.
    const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1");
    try {
      const firstFrame = new Promise<Buffer>((resolve) => socket.once("data", resolve));
      for (const byte of Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) {
        socket.write(Buffer.of(byte));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])); // an empty SETTINGS frame
      // An HTTP/2 server speaks first with its SETTINGS frame (type 4).
      expect((await firstFrame)[3]).toBe(4);
    } finally {
      socket.destroy();
    }
  });
});
