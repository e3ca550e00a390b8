import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpTarget } from "../../../src/core/job.js";
import { createHttpHandler } from "../../../src/worker/handlers/http.js";
import type { RunContext } from "../../../src/worker/handlers/registry.js";
import { loopbackDispatcher } from "../../support/targets.js";

interface Seen {
  method: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
/** Bytes the /endless route managed to write before the client went away. */
let endlessWritten = 0;
let endlessClosed: Promise<void> = Promise.resolve();

function route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? "/", "http://x");
  switch (url.pathname) {
    case "/echo":
      seen.push({ method: req.method ?? "", headers: req.headers, body });
      res.writeHead(Number(url.searchParams.get("status") ?? 200), {
        "content-type": "text/plain",
      });
      res.end(url.searchParams.get("say") ?? "");
      return;
    case "/big": {
      const size = 1024 * 1024;
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(size) });
      res.end(Buffer.alloc(size, "a"));
      return;
    }
    case "/endless": {
      // Chunked, no length: never ends unless the client stops reading.
      res.writeHead(200, { "content-type": "text/plain" });
      endlessWritten = 0;
      const chunk = Buffer.alloc(64 * 1024, "b");
      let stopped = false;
      endlessClosed = new Promise((resolve) =>
        res.on("close", () => {
          stopped = true;
          resolve();
        }),
      );
      const pump = () => {
        while (!stopped && endlessWritten < 1024 * 1024 * 1024) {
          endlessWritten += chunk.byteLength;
          if (!res.write(chunk)) {
            res.once("drain", pump);
            return;
          }
        }
      };
      pump();
      return;
    }
    case "/hang":
      return; // never answers
    case "/stall-body":
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      return; // never ends the body
    case "/redirect":
      res.writeHead(302, { location: "/echo?say=landed" });
      res.end();
      return;
    case "/no-content":
      res.writeHead(204);
      res.end();
      return;
    default:
      res.writeHead(404);
      res.end("no route");
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => route(req, res, Buffer.concat(parts)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

const dispatcher = loopbackDispatcher();

afterAll(async () => {
  await dispatcher.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function context(signal = new AbortController().signal): RunContext {
  return {
    executionId: "job_01hx:1700000000000:2",
    jobId: "job_01hx",
    scheduledMs: 1_700_000_000_000,
    attempt: 2,
    signal,
    logger: pino({ level: "silent" }),
  };
}

function target(path: string, extra: Partial<HttpTarget> = {}): HttpTarget {
  return {
    type: "http",
    method: "GET",
    url: `${base}${path}`,
    headers: {},
    timeoutMs: 5000,
    ...extra,
  };
}

describe("http handler", () => {
  const handler = createHttpHandler({ dispatcher });

  it("succeeds on 2xx with the status and response body as summary", async () => {
    const result = await handler.run(target("/echo?status=201&say=created"), context());
    expect(result).toEqual({ ok: true, summary: "HTTP 201\ncreated" });
  });

  it("fails on 4xx, keeping the response body", async () => {
    const result = await handler.run(target("/echo?status=404&say=nope"), context());
    expect(result).toEqual({ ok: false, retryable: false, summary: "HTTP 404\nnope" });
  });

  it("fails on 5xx", async () => {
    const result = await handler.run(target("/echo?status=503&say=down"), context());
    expect(result).toEqual({ ok: false, retryable: true, summary: "HTTP 503\ndown" });
  });

  it("sends the method, the job's headers and the Chronoring-Execution-Id header", async () => {
    seen.length = 0;
    await handler.run(
      target("/echo", {
        method: "PUT",
        headers: { "X-Team": "billing", Authorization: "Bearer t" },
      }),
      context(),
    );
    const request = seen[0]!;
    expect(request.method).toBe("PUT");
    expect(request.headers["x-team"]).toBe("billing");
    expect(request.headers.authorization).toBe("Bearer t");
    expect(request.headers["chronoring-execution-id"]).toBe("job_01hx:1700000000000:2");
  });

  it("overrides a job-supplied Chronoring-Execution-Id with the real one", async () => {
    seen.length = 0;
    await handler.run(
      target("/echo", { headers: { "chronoring-execution-id": "forged" } }),
      context(),
    );
    expect(seen[0]!.headers["chronoring-execution-id"]).toBe("job_01hx:1700000000000:2");
  });

  it("sends the base64-decoded body byte for byte", async () => {
    seen.length = 0;
    const payload = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d, 0x00, 0xff]);
    await handler.run(
      target("/echo", {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        bodyBase64: payload.toString("base64"),
      }),
      context(),
    );
    expect(seen[0]!.body.equals(payload)).toBe(true);
  });

  it("does not follow a redirect: a permanent failure saying where it pointed", async () => {
    const result = await handler.run(target("/redirect"), context());
    expect(result).toEqual({
      ok: false,
      retryable: false,
      summary: `HTTP 302 (redirect to ${base}/echo?say=landed, not followed)`,
    });
  });

  it("reports a response without a body by its status alone", async () => {
    const result = await handler.run(target("/no-content"), context());
    expect(result).toEqual({ ok: true, summary: "HTTP 204" });
  });

  it("fails with 'timed out after N ms' when no response arrives in time", async () => {
    const started = performance.now();
    const result = await handler.run(target("/hang", { timeoutMs: 150 }), context());
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result).toEqual({ ok: false, retryable: true, summary: "timed out after 150 ms" });
  });

  it("times out while reading a body that never ends", async () => {
    const result = await handler.run(target("/stall-body", { timeoutMs: 150 }), context());
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: "timed out after 150 ms (after HTTP 200, reading the body)",
    });
  });

  it("fails with 'aborted' when the run's signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("worker shutting down")), 50);
    const result = await handler.run(target("/hang"), context(controller.signal));
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: "aborted: worker shutting down",
    });
  });

  it("fails with the connection error when nothing listens on the port", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await handler.run(
      { ...target("/"), url: `http://127.0.0.1:${port}/` },
      context(),
    );
    expect(result.ok).toBe(false);
    expect(result.summary).toContain("ECONNREFUSED");
  });

  it("fails with the error message for a malformed request instead of throwing", async () => {
    const result = await handler.run(target("/echo", { bodyBase64: "aGk=" }), context());
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/GET\/HEAD|body/i);
  });

  it("truncates a big body to maxOutputBytes and counts the dropped bytes from Content-Length", async () => {
    const result = await handler.run(target("/big"), context());
    expect(result.ok).toBe(true);
    expect(Buffer.byteLength(result.summary)).toBeLessThanOrEqual(4096);
    const shown = result.summary.slice("HTTP 200\n".length, result.summary.indexOf("…"));
    expect(shown).toMatch(/^a+$/);
    expect(result.summary.endsWith(`…[truncated ${1024 * 1024 - shown.length} bytes]`)).toBe(true);
  });

  it("stops reading an endless body at the cap instead of buffering it", async () => {
    const small = createHttpHandler({ maxOutputBytes: 256, dispatcher });
    const result = await small.run(target("/endless", { timeoutMs: 10_000 }), context());
    await endlessClosed;
    expect(result.ok).toBe(true);
    expect(Buffer.byteLength(result.summary)).toBeLessThanOrEqual(256);
    expect(result.summary).toMatch(/^HTTP 200\nb+…\[truncated at least \d+ bytes\]$/);
    // The server gave up far short of its 1 GiB: the client hung up.
    expect(endlessWritten).toBeLessThan(64 * 1024 * 1024);
  });
});
