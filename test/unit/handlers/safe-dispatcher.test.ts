/**
 * The connect-time SSRF check against real local servers: every refusal is
 * proved by the listener's connection count staying at zero. Name resolution
 * is the real resolver (localhost) or an injected one that answers like a
 * rebinding DNS server would; no test sends traffic off this machine.
 */
import type { LookupAddress } from "node:dns";
import { pino } from "pino";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook } from "../../../src/notify/channels.js";
import { Permanent } from "../../../src/notify/retry.js";
import { createHttpHandler } from "../../../src/worker/handlers/http.js";
import type { RunContext } from "../../../src/worker/handlers/registry.js";
import {
  createSafeDispatcher,
  fetchTarget,
  redirectNote,
  TargetRefusedError,
  targetRefusal,
} from "../../../src/worker/handlers/safe-dispatcher.js";
import { createWebhookHandler } from "../../../src/worker/handlers/webhook.js";
import { type CountingServer, countingServer } from "../../support/targets.js";

/** A resolver that answers `answers[host]` (as dns.lookup would, one address or all). */
function fakeDns(answers: Record<string, string[]>) {
  return (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, a: string | LookupAddress[], f?: number) => void,
  ) => {
    const found = answers[hostname];
    if (!found) {
      const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      err.code = "ENOTFOUND";
      callback(err, "");
      return;
    }
    const all = found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    if ((options as { all?: boolean }).all) callback(null, all);
    else callback(null, all[0]!.address, all[0]!.family);
  };
}

const request = () => ({
  method: "GET",
  headers: new Headers(),
  signal: AbortSignal.timeout(5000),
});

async function refusedWith(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const refused = targetRefusal(err);
    if (refused) return refused.message;
    throw err;
  }
  throw new Error("the request was not refused");
}

function context(): RunContext {
  return {
    executionId: "job_01hx:1700000000000:1",
    jobId: "job_01hx",
    scheduledMs: 1_700_000_000_000,
    attempt: 1,
    signal: new AbortController().signal,
    logger: pino({ level: "silent" }),
  };
}

let target: CountingServer;
/** Answers 302 to `target` on 127.0.0.3. */
let redirector: CountingServer;

beforeAll(async () => {
  target = await countingServer("127.0.0.3");
  redirector = await countingServer("127.0.0.2", (_req, res) => {
    res.writeHead(302, { location: `${target.base}/inside` });
    res.end();
  });
});

afterAll(async () => {
  await target.close();
  await redirector.close();
});

describe("safe dispatcher", () => {
  it("refuses a literal internal address before connecting", async () => {
    const dispatcher = createSafeDispatcher();
    const message = await refusedWith(fetchTarget(dispatcher, `${target.base}/`, request()));
    expect(message).toBe(
      "refused to connect to 127.0.0.3, a loopback address (127.0.0.0/8); CHRONORING_TARGET_ALLOW does not admit it",
    );
    expect(target.connections()).toBe(0);
    await dispatcher.close();
  });

  it("refuses a host name by the address it resolves to (real resolver: localhost)", async () => {
    const local = await countingServer("127.0.0.1");
    const dispatcher = createSafeDispatcher();
    const message = await refusedWith(
      fetchTarget(dispatcher, `http://localhost:${local.port}/`, request()),
    );
    expect(message).toMatch(
      /^refused to connect to localhost: it resolves to (127\.0\.0\.1, a loopback address \(127\.0\.0\.0\/8\)|::1, a loopback address \(::1\/128\))/,
    );
    expect(local.connections()).toBe(0);
    await dispatcher.close();
    await local.close();
  });

  it("judges the answer actually used: a name rebound to an internal address is refused", async () => {
    const dispatcher = createSafeDispatcher({
      lookup: fakeDns({ "hooks.example.com": ["127.0.0.3"] }),
    });
    const message = await refusedWith(
      fetchTarget(dispatcher, `http://hooks.example.com:${target.port}/`, request()),
    );
    expect(message).toContain(
      "hooks.example.com: it resolves to 127.0.0.3, a loopback address (127.0.0.0/8)",
    );
    expect(target.connections()).toBe(0);
    await dispatcher.close();
  });

  it("refuses a name when any of its addresses is refused, even if another is admitted", async () => {
    const dispatcher = createSafeDispatcher({
      allow: ["127.0.0.2/32"],
      lookup: fakeDns({ "mixed.example.com": ["127.0.0.2", "127.0.0.3"] }),
    });
    const message = await refusedWith(
      fetchTarget(dispatcher, `http://mixed.example.com:${redirector.port}/`, request()),
    );
    expect(message).toContain("it resolves to 127.0.0.3");
    expect(redirector.connections()).toBe(0);
    expect(target.connections()).toBe(0);
    await dispatcher.close();
  });

  it("lets an allow-listed host name resolve inward, and an allow-listed CIDR through", async () => {
    const admitted = await countingServer("127.0.0.4");
    const byName = createSafeDispatcher({
      allow: ["*.svc.internal"],
      lookup: fakeDns({ "billing.svc.internal": ["127.0.0.4"] }),
    });
    const named = await fetchTarget(
      byName,
      `http://billing.svc.internal:${admitted.port}/named`,
      request(),
    );
    expect(named.status).toBe(200);
    await named.body?.cancel();
    const byCidr = createSafeDispatcher({ allow: ["127.0.0.4/32"] });
    const direct = await fetchTarget(byCidr, `${admitted.base}/direct`, request());
    expect(direct.status).toBe(200);
    await direct.body?.cancel();
    expect(admitted.requests).toEqual(["/named", "/direct"]);
    await byName.destroy();
    await byCidr.destroy();
    await admitted.close();
  });

  it("does not follow redirects; the answer says where it pointed", async () => {
    const dispatcher = createSafeDispatcher({ allow: ["127.0.0.2/32"] });
    const response = await fetchTarget(dispatcher, `${redirector.base}/go`, request());
    expect(response.status).toBe(302);
    expect(redirectNote(response, `${redirector.base}/go`)).toBe(
      `redirect to ${target.base}/inside, not followed`,
    );
    expect(target.connections()).toBe(0);
    await dispatcher.destroy();
  });

  it("refuses a redirect's hop at connect time even when a client follows it", async () => {
    const dispatcher = createSafeDispatcher({ allow: ["127.0.0.2/32"] });
    const message = await refusedWith(
      fetch(`${redirector.base}/go`, { dispatcher, redirect: "follow" }),
    );
    expect(message).toContain("refused to connect to 127.0.0.3");
    expect(redirector.requests.length).toBeGreaterThan(0);
    expect(target.connections()).toBe(0);
    await dispatcher.destroy();
  });
});

describe("the senders that use it", () => {
  const strict = createSafeDispatcher();
  afterAll(() => strict.close());

  it("http handler: a refused target is a permanent failure naming the reason", async () => {
    const handler = createHttpHandler({ dispatcher: strict });
    const result = await handler.run(
      { type: "http", method: "GET", url: `${target.base}/`, headers: {}, timeoutMs: 5000 },
      context(),
    );
    expect(result).toEqual({
      ok: false,
      retryable: false,
      summary:
        "refused to connect to 127.0.0.3, a loopback address (127.0.0.0/8); CHRONORING_TARGET_ALLOW does not admit it",
    });
    expect(target.connections()).toBe(0);
  });

  it("webhook handler: the same", async () => {
    const handler = createWebhookHandler({ dispatcher: strict });
    const result = await handler.run(
      {
        type: "webhook",
        url: `http://[::ffff:127.0.0.3]:${target.port}/`,
        headers: {},
        timeoutMs: 5000,
      },
      context(),
    );
    expect(result.ok).toBe(false);
    expect(result.retryable).toBe(false);
    expect(result.summary).toContain("an IPv4-mapped address (::ffff:0:0/96) of 127.0.0.3");
    expect(target.connections()).toBe(0);
  });

  it("notification webhook: refused and redirected deliveries are not retried", async () => {
    const hook = { kind: "webhook" as const, events: ["failed" as const], headers: {} };
    const refused = postWebhook(
      { ...hook, url: `${target.base}/` },
      "failed",
      "{}",
      "e",
      0,
      strict,
    );
    await expect(refused).rejects.toBeInstanceOf(Permanent);
    await expect(refused).rejects.toThrow("refused to connect to 127.0.0.3");

    const admitsRedirector = createSafeDispatcher({ allow: ["127.0.0.2/32"] });
    const redirected = postWebhook(
      { ...hook, url: `${redirector.base}/n` },
      "failed",
      "{}",
      "e",
      0,
      admitsRedirector,
    );
    await expect(redirected).rejects.toBeInstanceOf(Permanent);
    await expect(redirected).rejects.toThrow(
      `HTTP 302 from ${redirector.base}/n (redirect to ${target.base}/inside, not followed)`,
    );
    expect(target.connections()).toBe(0);
    await admitsRedirector.destroy();
  });

  it("TargetRefusedError is found under fetch's wrapper", () => {
    const inner = new TargetRefusedError("no");
    expect(targetRefusal(new TypeError("fetch failed", { cause: inner }))).toBe(inner);
    expect(targetRefusal(new Error("other"))).toBeUndefined();
  });
});
