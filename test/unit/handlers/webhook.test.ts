import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookTarget } from "../../../src/core/job.js";
import { verifySignature } from "../../../src/notify/signature.js";
import type { RunContext } from "../../../src/worker/handlers/registry.js";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";
import { createWebhookHandler } from "../../../src/worker/handlers/webhook.js";
import { loopbackDispatcher } from "../../support/targets.js";

const SECRET = "whsec_unit_0123456789";

interface Seen {
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server;
let url: string;
const seen: Seen[] = [];
/** What the next response sends back. */
let reply: { status: number; headers?: Record<string, string> } = { status: 200 };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      seen.push({ headers: req.headers, body });
      res.writeHead(reply.status, reply.headers ?? {});
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
const dispatcher = loopbackDispatcher();
afterAll(async () => {
  await dispatcher.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

function context(saved: string[], lastCheckpoint?: string): RunContext {
  return {
    executionId: "job_01hx:1700000000000:2",
    jobId: "job_01hx",
    scheduledMs: 1_700_000_000_000,
    attempt: 2,
    signal: new AbortController().signal,
    logger: pino({ level: "silent" }),
    checkpoint: async (data) => {
      saved.push(Buffer.from(data).toString("utf8"));
    },
    ...(lastCheckpoint ? { lastCheckpoint: Buffer.from(lastCheckpoint) } : {}),
  };
}

const target = (over: Partial<WebhookTarget> = {}): WebhookTarget => ({
  type: "webhook",
  url,
  headers: { "X-Team": "a" },
  timeoutMs: 5000,
  secret: SECRET,
  payload: '{"report":"daily"}',
  ...over,
});

describe("webhook job type", () => {
  it("POSTs the signed envelope with the execution id, and succeeds on 2xx", async () => {
    seen.length = 0;
    reply = { status: 204 };
    const now = 1_800_000_000;
    const handler = createWebhookHandler({ nowS: () => now, dispatcher });
    const result = await handler.run(target(), context([]));
    expect(result).toMatchObject({ ok: true });
    const req = seen[0]!;
    expect(JSON.parse(req.body)).toEqual({
      jobId: "job_01hx",
      executionId: "job_01hx:1700000000000:2",
      scheduledTime: "2023-11-14T22:13:20.000Z",
      attempt: 2,
      payload: { report: "daily" },
    });
    expect(req.headers["chronoring-execution-id"]).toBe("job_01hx:1700000000000:2");
    expect(req.headers["x-team"]).toBe("a");
    expect(req.headers["content-type"]).toBe("application/json");
    const sig = req.headers["chronoring-signature"] as string;
    expect(verifySignature(SECRET, req.body, sig, now)).toEqual({ ok: true, timestampS: now });
  });

  it("sends no signature without a secret, and fails on a 5xx", async () => {
    seen.length = 0;
    reply = { status: 503 };
    const result = await createWebhookHandler({ dispatcher }).run(
      target({ secret: undefined, payload: undefined }),
      context([]),
    );
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/^HTTP 503/);
    expect(seen[0]!.headers["chronoring-signature"]).toBeUndefined();
    expect(JSON.parse(seen[0]!.body).payload).toBeNull();
  });

  it("passes the inherited checkpoint on and saves the one the response sends back", async () => {
    seen.length = 0;
    reply = {
      status: 200,
      headers: { "Chronoring-Checkpoint": Buffer.from("row-900").toString("base64") },
    };
    const saved: string[] = [];
    await createWebhookHandler({ dispatcher }).run(target(), context(saved, "row-500"));
    const req = seen[0]!;
    expect(Buffer.from(req.headers["chronoring-checkpoint"] as string, "base64").toString()).toBe(
      "row-500",
    );
    expect(Buffer.from(JSON.parse(req.body).checkpoint, "base64").toString()).toBe("row-500");
    expect(saved).toEqual(["row-900"]);
  });
});

describe("script checkpoints", () => {
  it("saves ::checkpoint:: lines in order and passes the inherited one in CHRONORING_CHECKPOINT", async () => {
    const saved: string[] = [];
    const handler = createScriptHandler({ allowList: [process.execPath], memoryMb: 0 });
    const code = [
      "console.log('from ' + process.env.CHRONORING_CHECKPOINT);",
      "console.log('::checkpoint::step-1');",
      "console.log('working');",
      "console.log('::checkpoint::step-2');",
    ].join("");
    const result = await handler.run(
      { type: "script", command: process.execPath, args: ["-e", code], env: {}, timeoutMs: 10_000 },
      context(saved, "step-0"),
    );
    expect(result.ok).toBe(true);
    expect(result.summary).toContain("from step-0");
    expect(saved).toEqual(["step-1", "step-2"]);
  });
});
