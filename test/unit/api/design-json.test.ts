/**
 * The design documents' job JSON → proto JSON, one row per form
 * (docs/rest.md "Design JSON"); proto JSON passes unchanged; bad design
 * input is refused naming the design's field; later errors are renamed back.
 */

import { describe, expect, it } from "vitest";
import { fromDesignJson, renameField } from "../../../src/api/rest/design-json.js";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("design JSON conversion", () => {
  it.each([
    ["AWS cron", { schedule: "cron(0 10 * * ? *)" }, { schedule: { cron: "cron(0 10 * * ? *)" } }],
    ["rate", { schedule: "rate(5 minutes)" }, { schedule: { interval: "rate(5 minutes)" } }],
    ["5-field cron", { schedule: "0 2 * * *" }, { schedule: { cron: "0 2 * * *" } }],
    ["6-field cron", { schedule: "30 0 2 * * *" }, { schedule: { cron: "30 0 2 * * *" } }],
    [
      "timezone",
      { schedule: "0 2 * * *", timezone: "Europe/Berlin" },
      { schedule: { cron: "0 2 * * *", timeZone: "Europe/Berlin" } },
    ],
    [
      "retry policy",
      {
        retryPolicy: {
          strategy: "ON_FAILURE",
          maxRetries: 3,
          backoff: "EXPONENTIAL",
          retryDelayMs: 1000,
          maxDelayMs: 1500,
        },
      },
      {
        retryPolicy: {
          strategy: "RETRY_STRATEGY_ON_FAILURE",
          maxRetries: 3,
          backoff: "BACKOFF_EXPONENTIAL",
          retryDelay: "1s",
          maxDelay: "1.5s",
        },
      },
    ],
    ["priority", { priority: "high" }, { priority: "PRIORITY_HIGH" }],
    ["userId", { userId: "team-a" }, { owner: "team-a" }],
    ["user_id", { user_id: "team-a" }, { owner: "team-a" }],
    [
      "HTTP with a JSON payload",
      { type: "HTTP", url: "https://x.test/h", method: "POST", payload: { a: 1 }, timeoutMs: 2500 },
      {
        target: {
          http: {
            url: "https://x.test/h",
            method: "POST",
            body: b64('{"a":1}'),
            headers: { "content-type": "application/json" },
            timeout: "2.5s",
          },
        },
      },
    ],
    [
      "HTTP with a text payload",
      { type: "http", url: "https://x.test/h", method: "PUT", payload: "hello" },
      { target: { http: { url: "https://x.test/h", method: "PUT", body: b64("hello") } } },
    ],
    [
      "WEBHOOK",
      { type: "WEBHOOK", url: "https://x.test/w", payload: { report: "daily" } },
      { target: { webhook: { url: "https://x.test/w", payload: '{"report":"daily"}' } } },
    ],
    [
      "SCRIPT",
      { type: "SCRIPT", command: "echo", args: ["hi"] },
      { target: { script: { command: "echo", args: ["hi"] } } },
    ],
    ["NOOP", { type: "NOOP", sleepMs: 10 }, { target: { noop: { sleep: "0.01s" } } }],
  ])("%s", (_, design, proto) => {
    expect(fromDesignJson(design).body).toEqual(proto);
  });

  it("passes proto JSON unchanged", () => {
    const proto = {
      name: "n",
      owner: "o",
      schedule: { cron: "0 2 * * *", timeZone: "UTC" },
      target: { http: { method: "POST", url: "https://x.test" } },
      retryPolicy: { strategy: "RETRY_STRATEGY_ALWAYS", retryDelay: "2s" },
      priority: "PRIORITY_LOW",
    };
    expect(fromDesignJson(proto)).toEqual({ body: proto, renames: [] });
  });

  it.each([
    [{ type: "FTP", url: "x" }, /^type: unknown value "FTP"/],
    [{ url: "https://x.test" }, /^url: needs type/],
    [{ type: "SCRIPT", url: "https://x.test" }, /^url: not taken by type SCRIPT/],
    [{ type: "NOOP", payload: 1 }, /^payload: not taken by type NOOP/],
    [{ type: "NOOP", target: { noop: {} } }, /^type: give either type or target/],
    [{ priority: "URGENT" }, /^priority: unknown value "URGENT"; one of HIGH, MEDIUM, LOW/],
    [{ retryPolicy: { strategy: "SOMETIMES" } }, /^retryPolicy.strategy: unknown value/],
    [{ retryPolicy: { retryDelayMs: -1 } }, /^retryPolicy.retryDelayMs: must be a whole number/],
    [{ retryPolicy: { retryDelayMs: 1.5 } }, /^retryPolicy.retryDelayMs: must be a whole number/],
    [{ timezone: "UTC" }, /^timezone: needs a schedule/],
    [{ owner: "a", userId: "b" }, /^userId: differs from owner/],
  ])("refuses %j naming the design's field", (design, message) => {
    expect(() => fromDesignJson(design)).toThrow(message);
  });

  it("renames the proto paths of later errors to the design's names", () => {
    const { renames } = fromDesignJson(
      {
        schedule: "cron(bad)",
        timezone: "Mars/Base",
        retryPolicy: { retryDelayMs: 1 },
        type: "HTTP",
        url: "x",
        payload: "p",
      },
      "job.",
    );
    expect(renameField("job.schedule.cron: bad cron", renames)).toBe("schedule: bad cron");
    expect(renameField("job.schedule.time_zone: unknown zone", renames)).toBe(
      "timezone: unknown zone",
    );
    expect(renameField("job.retry_policy.retry_delay: too long", renames)).toBe(
      "retryPolicy.retryDelayMs: too long",
    );
    expect(renameField("job.retry_policy.max_retries: over 100", renames)).toBe(
      "retryPolicy.maxRetries: over 100",
    );
    expect(renameField("job.target.http.url: not absolute", renames)).toBe("url: not absolute");
    expect(renameField("job.target.http.method: required", renames)).toBe("method: required");
    expect(renameField("job.target.http.body: too big", renames)).toBe("payload: too big");
    expect(renameField("name: required", renames)).toBe("name: required");
  });
});
