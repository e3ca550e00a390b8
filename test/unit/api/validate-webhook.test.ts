import { describe, expect, it } from "vitest";
import { validateIdempotencyKey } from "../../../src/core/idempotency.js";
import type { JobTarget } from "../../../src/core/job.js";
import type { NotificationTarget } from "../../../src/core/notification.js";
import { validateTarget } from "../../../src/core/validate-job.js";
import { validateNotifications } from "../../../src/core/validate-webhook.js";
import { invalidField } from "../../support/invalid-field.js";

const webhook = (over: Partial<Extract<JobTarget, { type: "webhook" }>> = {}): JobTarget => ({
  type: "webhook",
  url: "https://example.com/hook",
  headers: { "X-Team": "a" },
  timeoutMs: 30_000,
  secret: "s".repeat(32),
  payload: '{"report":"daily"}',
  ...over,
});

const hook: NotificationTarget = {
  kind: "webhook",
  events: ["failed"],
  url: "https://example.com/notify",
  headers: {},
};
const mail: NotificationTarget = {
  kind: "email",
  events: ["succeeded", "dead"],
  to: ["ops@example.com"],
  subjectPrefix: "[chronoring]",
};

describe("webhook target validation", () => {
  it("accepts a full webhook target, and one without secret or payload", () => {
    expect(() => validateTarget(webhook())).not.toThrow();
    expect(() => validateTarget(webhook({ secret: undefined, payload: undefined }))).not.toThrow();
  });

  it.each<[string, Partial<Extract<JobTarget, { type: "webhook" }>>, string]>([
    ["a relative URL", { url: "/hook" }, "target.webhook.url"],
    ["an ftp URL", { url: "ftp://example.com/x" }, "target.webhook.url"],
    ["a bad header name", { headers: { "bad name": "x" } }, "target.webhook.headers"],
    ["a header value with CR LF", { headers: { X: "a\r\nB: c" } }, "target.webhook.headers"],
    ["a secret shorter than 16", { secret: "short" }, "target.webhook.secret"],
    ["a secret longer than 256", { secret: "s".repeat(257) }, "target.webhook.secret"],
    ["a zero timeout", { timeoutMs: 0 }, "target.webhook.timeout"],
    ["a timeout over 15 min", { timeoutMs: 15 * 60_000 + 1 }, "target.webhook.timeout"],
    ["a payload that is not JSON", { payload: "{oops" }, "target.webhook.payload"],
    ["a payload over 64 KiB", { payload: `"${"x".repeat(65_536)}"` }, "target.webhook.payload"],
  ])("rejects %s", (_, over, field) => {
    expect(invalidField(() => validateTarget(webhook(over)))).toBe(field);
  });
});

describe("notification validation", () => {
  it("accepts webhook and email targets", () => {
    expect(() => validateNotifications([hook, mail])).not.toThrow();
    expect(() => validateNotifications([])).not.toThrow();
  });

  it.each<[string, NotificationTarget[], string]>([
    ["more than 10 targets", Array(11).fill(hook), "notifications.targets"],
    ["a target without events", [{ ...hook, events: [] }], "notifications.targets[0].events"],
    [
      "a duplicate event",
      [hook, { ...mail, events: ["dead", "dead"] }],
      "notifications.targets[1].events",
    ],
    ["a bad webhook URL", [{ ...hook, url: "nope" }], "notifications.targets[0].webhook.url"],
    [
      "a short webhook secret",
      [{ ...hook, secret: "x" }],
      "notifications.targets[0].webhook.secret",
    ],
    [
      "a bad webhook header",
      [{ ...hook, headers: { "a b": "c" } }],
      "notifications.targets[0].webhook.headers",
    ],
    ["no recipients", [{ ...mail, to: [] }], "notifications.targets[0].email.to"],
    [
      "a bad address",
      [{ ...mail, to: ["ops@example.com", "not an address"] }],
      "notifications.targets[0].email.to[1]",
    ],
    [
      "a subject prefix with a line break",
      [{ ...mail, subjectPrefix: "a\nBcc: x@y.z" }],
      "notifications.targets[0].email.subject_prefix",
    ],
    [
      "a target of no kind",
      [{ events: ["failed"] } as unknown as NotificationTarget],
      "notifications.targets[0]",
    ],
  ])("rejects %s", (_, targets, field) => {
    expect(invalidField(() => validateNotifications(targets))).toBe(field);
  });
});

describe("idempotency key validation", () => {
  it.each(["a", "order-42:2026-01-01", "550e8400-e29b-41d4-a716-446655440000", "k".repeat(128)])(
    "accepts %s",
    (key) => {
      expect(() => validateIdempotencyKey(key)).not.toThrow();
    },
  );

  it.each(["", "k".repeat(129), "has space", "slash/no", "ü"])("rejects %j", (key) => {
    expect(invalidField(() => validateIdempotencyKey(key))).toBe("idempotency_key");
  });
});
