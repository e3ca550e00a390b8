/**
 * The design documents' job JSON through POST /jobs, PATCH and PUT /jobs/{id}
 * on the real app (auth on), as docs/rest.md shows it: stored as the proto
 * form says, and bad design input answered 400 naming the design's field.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";

/** The example of docs/rest.md "Design JSON". */
const DESIGN = {
  name: "daily report",
  userId: "team-a",
  priority: "HIGH",
  schedule: "cron(0 10 * * ? *)",
  timezone: "Europe/Berlin",
  retryPolicy: {
    strategy: "ON_FAILURE",
    maxRetries: 3,
    backoff: "EXPONENTIAL",
    retryDelayMs: 1000,
  },
  type: "HTTP",
  url: "http://127.0.0.1:9/report",
  method: "POST",
  payload: { report: "daily" },
};

describe("design JSON on the REST paths", () => {
  let app: App;
  let auth: TestAuth;
  let editor: string;

  const call = async (
    method: string,
    path: string,
    body: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: JSON read back in assertions
  ): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${app.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${editor}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };

  beforeAll(async () => {
    auth = await testAuth();
    app = await startApp(testConfig("design", auth.settings), { logger: silentLogger });
    editor = await auth.token({ tenant: "acme", roles: ["editor"] });
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  it("creates a job from the design's JSON", async () => {
    const res = await call("POST", "/jobs", DESIGN);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const job = res.json.job;
    expect(job.owner).toBe("team-a");
    expect(job.priority).toBe("PRIORITY_HIGH");
    expect(job.schedule).toMatchObject({ cron: "cron(0 10 * * ? *)", timeZone: "Europe/Berlin" });
    expect(job.retryPolicy).toMatchObject({
      strategy: "RETRY_STRATEGY_ON_FAILURE",
      maxRetries: 3,
      backoff: "BACKOFF_EXPONENTIAL",
      retryDelay: "1s",
    });
    expect(job.target.http).toMatchObject({ url: DESIGN.url, method: "POST" });
    expect(Buffer.from(job.target.http.body, "base64").toString()).toBe('{"report":"daily"}');
    expect(job.target.http.headers).toEqual({ "content-type": "application/json" });
  });

  it("takes rate(), a webhook payload, and PATCH and PUT in the design's form", async () => {
    const created = await call("POST", "/jobs", {
      name: "sync",
      user_id: "team-b",
      schedule: "rate(5 minutes)",
      type: "WEBHOOK",
      url: "http://127.0.0.1:9/hook",
      payload: { kind: "sync" },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const job = created.json.job;
    expect(job.schedule.interval).toBe("rate(5 minutes)");
    expect(JSON.parse(job.target.webhook.payload)).toEqual({ kind: "sync" });

    const patched = await call("PATCH", `/jobs/${job.id}`, {
      schedule: "0 2 * * *",
      timezone: "UTC",
      priority: "low",
    });
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    expect(patched.json.job).toMatchObject({
      name: "sync",
      priority: "PRIORITY_LOW",
      schedule: { cron: "0 2 * * *", timeZone: "UTC" },
    });

    const put = await call("PUT", `/jobs/${job.id}`, {
      name: "sync2",
      userId: "team-b",
      schedule: "rate(1 hour)",
      type: "NOOP",
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json.job).toMatchObject({ name: "sync2", schedule: { interval: "rate(1 hour)" } });
    expect(Object.keys(put.json.job.target)).toEqual(["noop"]);
    expect(put.json.job.priority ?? "PRIORITY_UNSPECIFIED").not.toBe("PRIORITY_LOW"); // PUT cleared it
  });

  it.each([
    [{ schedule: "cron(0 10 * * * *)" }, "schedule: "],
    [{ timezone: "Mars/Base" }, "timezone: "],
    [{ retryPolicy: { strategy: "ON_FAILURE", retryDelayMs: -5 } }, "retryPolicy.retryDelayMs: "],
    [{ retryPolicy: { strategy: "ON_FAILURE", maxRetries: 1000 } }, "retryPolicy.maxRetries: "],
    [{ type: "FTP" }, "type: "],
    [{ url: "ftp://x.test/a" }, "url: "],
    [{ priority: "URGENT" }, "priority: "],
  ])("answers 400 for %j naming the design's field", async (change, prefix) => {
    const res = await call("POST", "/jobs", { ...DESIGN, ...change });
    expect(res.status, JSON.stringify(res.json)).toBe(400);
    expect(res.json.code).toBe("invalid_argument");
    expect(res.json.message.startsWith(prefix), res.json.message).toBe(true);
  });
});
