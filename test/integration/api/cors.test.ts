/**
 * CORS on the real app's one port (CHRONORING_CORS_ORIGINS): preflights and
 * actual calls from an allowed and from another origin, over Connect,
 * gRPC-Web and REST.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";

const ALLOWED = "https://app.example.com";
const OTHER = "https://evil.example.com";

const CALLS = {
  connect: {
    path: "/grpc.health.v1.Health/Check",
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}" as string | Uint8Array,
  },
  "grpc-web": {
    path: "/grpc.health.v1.Health/Check",
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: new Uint8Array(5) as string | Uint8Array,
  },
  rest: { path: "/v1/jobs", method: "GET", headers: {}, body: undefined },
};

describe("CORS", () => {
  let app: App;
  let auth: TestAuth;
  let token: string;

  beforeAll(async () => {
    auth = await testAuth();
    app = await startApp(testConfig("cors", { ...auth.settings, CORS_ORIGINS: ALLOWED }), {
      logger: silentLogger,
    });
    token = await auth.token({ roles: ["viewer"] });
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  describe.each(Object.entries(CALLS))("%s", (_, call) => {
    it("answers an allowed origin's preflight 204 with the headers it asks for", async () => {
      const res = await fetch(`${app.apiUrl}${call.path}`, {
        method: "OPTIONS",
        headers: {
          origin: ALLOWED,
          "access-control-request-method": call.method,
          "access-control-request-headers": "authorization, content-type, x-request-id",
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect(res.headers.get("access-control-allow-methods")).toContain(call.method);
      const headers = res.headers.get("access-control-allow-headers")?.toLowerCase() ?? "";
      for (const h of [
        "authorization",
        "content-type",
        "x-request-id",
        "connect-protocol-version",
        "x-grpc-web",
      ]) {
        expect(headers).toContain(h);
      }
      expect(res.headers.get("vary")).toContain("Origin");
    });

    it("gives another origin's preflight no CORS headers", async () => {
      const res = await fetch(`${app.apiUrl}${call.path}`, {
        method: "OPTIONS",
        headers: { origin: OTHER, "access-control-request-method": call.method },
      });
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(res.headers.get("access-control-allow-methods")).toBeNull();
    });

    it.each([
      [ALLOWED, ALLOWED],
      [OTHER, null],
    ])("answers a call from %s with allow-origin %s", async (origin, want) => {
      const res = await fetch(`${app.apiUrl}${call.path}`, {
        method: call.method,
        headers: { ...call.headers, origin, authorization: `Bearer ${token}` },
        ...(call.body !== undefined ? { body: call.body } : {}),
      });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe(want);
      expect(res.headers.get("vary")).toContain("Origin");
      if (want) expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    });
  });
});
