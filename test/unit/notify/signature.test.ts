import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../../src/core/backoff.js";
import { canonicalJson, requestHash } from "../../../src/core/idempotency.js";
import { notifySchedule } from "../../../src/notify/retry.js";
import { signBody, verifySignature } from "../../../src/notify/signature.js";

const SECRET = "whsec_0123456789abcdef";
const BODY = '{"jobId":"job_x","attempt":1}';
const T = 1_800_000_000;

describe("webhook signatures (HMAC-SHA256 over `<t>.<body>`)", () => {
  it("signs as t=<unix s>,v1=<hex HMAC(secret, t.body)>", () => {
    const expected = createHmac("sha256", SECRET).update(`${T}.${BODY}`).digest("hex");
    expect(signBody(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
  });

  it("verifies its own signature within the tolerance", () => {
    expect(verifySignature(SECRET, BODY, signBody(SECRET, BODY, T), T + 299)).toEqual({
      ok: true,
      timestampS: T,
    });
  });

  it("rejects a replay older than the tolerance (default 5 min), and one from the future", () => {
    const header = signBody(SECRET, BODY, T);
    expect(verifySignature(SECRET, BODY, header, T + 301)).toEqual({ ok: false, reason: "stale" });
    expect(verifySignature(SECRET, BODY, header, T - 301)).toEqual({ ok: false, reason: "stale" });
    expect(verifySignature(SECRET, BODY, header, T + 3000, 3600).ok).toBe(true);
  });

  it("rejects a changed body, another secret and a changed timestamp", () => {
    const header = signBody(SECRET, BODY, T);
    expect(verifySignature(SECRET, `${BODY} `, header, T).ok).toBe(false);
    expect(verifySignature(`${SECRET}x`, BODY, header, T)).toEqual({
      ok: false,
      reason: "mismatch",
    });
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifySignature(SECRET, BODY, moved, T)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects malformed headers", () => {
    for (const header of [undefined, null, "", "v1=abc", `t=${T}`, `t=x,v1=${"a".repeat(64)}`]) {
      expect(verifySignature(SECRET, BODY, header, T)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("accepts any of several v1 values (secret rotation)", () => {
    const good = signBody(SECRET, BODY, T).split(",v1=")[1];
    const header = `t=${T},v1=${"0".repeat(64)},v1=${good}`;
    expect(verifySignature(SECRET, BODY, header, T).ok).toBe(true);
  });
});

describe("idempotency request hash", () => {
  it("ignores key order and undefined fields, not values", () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: undefined, z: "s" }] })).toBe(
      '{"a":[{"y":2,"z":"s"}],"b":1}',
    );
    expect(requestHash({ a: 1, b: 2 })).toBe(requestHash({ b: 2, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
  });
});

describe("notification backoff", () => {
  it("doubles from the base delay up to 60 s, with up to 20 % taken off at random", () => {
    const schedule = notifySchedule({ attempts: 5, baseDelayMs: 1000 });
    expect(backoffDelay(schedule, 1, () => 0)).toBe(1000);
    expect(backoffDelay(schedule, 3, () => 0)).toBe(4000);
    expect(backoffDelay(schedule, 3, () => 0.5)).toBe(3600);
    expect(backoffDelay(schedule, 3, () => 0.9999)).toBe(3200);
    expect(backoffDelay(schedule, 20, () => 0)).toBe(60_000);
    expect(schedule.attempts).toBe(5);
  });

  it("a base above the cap waits the cap", () => {
    expect(backoffDelay(notifySchedule({ attempts: 2, baseDelayMs: 600_000 }), 1, () => 0)).toBe(
      60_000,
    );
  });
});
