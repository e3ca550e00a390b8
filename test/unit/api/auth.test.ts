/**
 * Auth on a real API server (startApiServer, auth from the same settings the
 * app reads): every forged, stale or foreign token gets Unauthenticated with
 * a short reason over gRPC, Connect, gRPC-Web and REST alike; a good one reaches
 * the handler as a Caller. Also: the `chronoring-tenant` header, the log
 * lines, `/metrics` behind auth, and what stays open.
 */

import { Code, ConnectError, type ConnectRouter, createClient } from "@connectrpc/connect";
import { exportSPKI, importJWK, SignJWT } from "jose";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { callerOf } from "../../../src/api/caller-context.js";
import { createHealthService } from "../../../src/api/health-service.js";
import { createInterceptors } from "../../../src/api/interceptors.js";
import { type ApiServer, startApiServer } from "../../../src/api/server.js";
import type { Authenticator } from "../../../src/auth/authenticate.js";
import { startAuth } from "../../../src/auth/from-config.js";
import { generateSigningKey } from "../../../src/auth/local-key.js";
import { systemClock } from "../../../src/core/clock.js";
import {
  authedClient,
  PROTOCOLS,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestAuth,
  testAuth,
  transportWith,
} from "../../support/auth.js";

/** Log lines of the server, parsed. */
const lines: Array<Record<string, unknown>> = [];
const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });

/** JobService with one method that answers with the Caller it was handed. */
function echoRoutes(router: ConnectRouter) {
  router.service(JobService, {
    listJobs: (_req, ctx) => ({ jobs: [], nextPageToken: JSON.stringify(callerOf(ctx)) }),
  });
  router.service(
    Health,
    createHealthService(() => true),
  );
}

let auth: TestAuth;
let authenticator: Authenticator;
let server: ApiServer;
let guarded: ApiServer;

beforeAll(async () => {
  auth = await testAuth("ES256");
  const found = await startAuth(
    {
      mode: "jwt",
      jwks: auth.jwksPath,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      tenantClaim: "tenant",
      rolesClaim: "roles",
      metrics: false,
    },
    { clock: systemClock, logger },
  );
  authenticator = found!;
  const common = {
    host: "127.0.0.1",
    port: 0,
    routes: echoRoutes,
    logger,
    interceptors: createInterceptors(logger, { auth: authenticator }),
    metricsText: async () => "chronoring_up 1\n",
  };
  server = await startApiServer(common);
  guarded = await startApiServer({ ...common, metricsAuth: authenticator });
});
afterAll(async () => {
  await server?.close();
  await guarded?.close();
  auth?.cleanup();
});

const nowS = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Good claims, as an identity provider would issue them. */
const claims = (over: Record<string, unknown> = {}) => ({
  iss: TEST_ISSUER,
  aud: TEST_AUDIENCE,
  sub: "someone",
  tenant: "default",
  roles: ["viewer"],
  iat: nowS(),
  exp: nowS() + 300,
  ...over,
});

async function signed(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key = auth.key,
) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** The ways in of the token table: the three RPC protocols and REST. */
const WAYS = [...PROTOCOLS, "rest"] as const;

/**
 * A REST call's outcome in the RPC form: "ok", or the code's name and the
 * message; a 401 must also say `WWW-Authenticate: Bearer`.
 */
async function restOutcome(headers: Record<string, string>, baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/jobs`, { headers });
  if (res.ok) return "ok";
  const body = (await res.json()) as { code: string; message: string };
  const code = body.code.replace(/(^|_)([a-z])/g, (_, _s, c: string) => c.toUpperCase());
  const challenge = res.status === 401 && res.headers.get("www-authenticate") !== "Bearer";
  return `${code}: ${body.message}${challenge ? " (no WWW-Authenticate: Bearer)" : ""}`;
}

/** What a call with these headers gets: "ok", or the code and message. */
async function outcome(
  protocol: (typeof WAYS)[number],
  headers: Record<string, string>,
  baseUrl = server.url,
): Promise<string> {
  if (protocol === "rest") return restOutcome(headers, baseUrl);
  const client = createClient(JobService, transportWith(protocol, baseUrl, headers));
  try {
    await client.listJobs({});
    return "ok";
  } catch (err) {
    const e = ConnectError.from(err);
    return `${Code[e.code]}: ${e.rawMessage}`;
  }
}

describe("token attacks", () => {
  // 88 calls over three protocols and REST: give a busy machine time.
  it("gets what each row says, over gRPC, Connect, gRPC-Web and REST alike", {
    timeout: 30_000,
  }, async () => {
    const good = await signed(claims());
    const [head, body, sig] = good.split(".");
    const publicKey = await importJWK(auth.jwks().keys[0]!, auth.key.alg);
    const publicPem = await exportSPKI(publicKey as Exclude<typeof publicKey, Uint8Array>);
    const foreign = (await generateSigningKey("ES256")).key;

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const rows: Array<[string, Record<string, string>, string]> = [
      ["a good token", bearer(good), "ok"],
      ["no token", {}, "Unauthenticated: missing bearer token"],
      [
        "a Basic header",
        { authorization: "Basic dXNlcjpwYXNz" },
        "Unauthenticated: malformed token",
      ],
      ["Bearer and nothing", { authorization: "Bearer" }, "Unauthenticated: malformed token"],
      ["Bearer not-a-jwt", bearer("not-a-jwt"), "Unauthenticated: malformed token"],
      ["two parts only", bearer(`${head}.${body}`), "Unauthenticated: malformed token"],
      [
        "alg none, no signature",
        bearer(`${b64({ alg: "none", kid: auth.key.kid })}.${b64(claims({ roles: ["admin"] }))}.`),
        "Unauthenticated: algorithm not accepted",
      ],
      [
        "HS256 keyed with the public key (alg confusion)",
        bearer(
          await new SignJWT(claims({ roles: ["admin"] }))
            .setProtectedHeader({ alg: "HS256", kid: auth.key.kid })
            .sign(new TextEncoder().encode(publicPem)),
        ),
        "Unauthenticated: algorithm not accepted",
      ],
      [
        "expired 90 s ago",
        bearer(await signed(claims({ exp: nowS() - 90 }))),
        "Unauthenticated: token expired",
      ],
      [
        "expired 30 s ago (within the leeway)",
        bearer(await signed(claims({ exp: nowS() - 30 }))),
        "ok",
      ],
      [
        "nbf 120 s ahead",
        bearer(await signed(claims({ nbf: nowS() + 120 }))),
        "Unauthenticated: token not yet valid",
      ],
      [
        "nbf 30 s ahead (within the leeway)",
        bearer(await signed(claims({ nbf: nowS() + 30 }))),
        "ok",
      ],
      [
        "no exp",
        bearer(await signed(claims({ exp: undefined }))),
        "Unauthenticated: token has no expiry",
      ],
      [
        "another issuer",
        bearer(await signed(claims({ iss: "https://evil.test" }))),
        "Unauthenticated: issuer not accepted",
      ],
      [
        "another audience",
        bearer(await signed(claims({ aud: "someone-else" }))),
        "Unauthenticated: audience not accepted",
      ],
      [
        "an unknown kid",
        bearer(await signed(claims(), { kid: "no-such-key" })),
        "Unauthenticated: unknown signing key",
      ],
      [
        "a tampered payload (tenant and roles changed, signature kept)",
        bearer(`${head}.${b64(claims({ tenant: "other", roles: ["admin"] }))}.${sig}`),
        "Unauthenticated: signature invalid",
      ],
      [
        "another key claiming our kid",
        bearer(await signed(claims(), { kid: auth.key.kid }, foreign)),
        "Unauthenticated: signature invalid",
      ],
      [
        "no tenant claim",
        bearer(await signed(claims({ tenant: undefined }))),
        "Unauthenticated: token has no tenant",
      ],
      [
        "a tenant that is not a tenant name",
        bearer(await signed(claims({ tenant: "../Other" }))),
        "Unauthenticated: token has no tenant",
      ],
      [
        "no known role",
        bearer(await signed(claims({ roles: ["superuser"] }))),
        'PermissionDenied: token holds no known role in its "roles" claim',
      ],
      [
        "roles as a string, not an array",
        bearer(await signed(claims({ roles: "admin" }))),
        'PermissionDenied: token holds no known role in its "roles" claim',
      ],
    ];

    const expected: Record<string, string> = {};
    const actual: Record<string, string> = {};
    const echoed: string[] = [];
    for (const protocol of WAYS) {
      for (const [name, headers, want] of rows) {
        const key = `${protocol}: ${name}`;
        expected[key] = want;
        const got = await outcome(protocol, headers);
        actual[key] = got;
        const token = headers.authorization?.split(" ")[1] ?? "";
        const secretPart = token.split(".").find((p) => p.length > 20);
        if (secretPart && got.includes(secretPart)) echoed.push(key);
      }
    }
    expect(actual).toEqual(expected);
    expect(echoed, "refusals never repeat the token").toEqual([]);
  });

  it("hands a good token's subject, tenant and highest role to the handler", async () => {
    const token = await auth.token({ tenant: "acme", roles: ["viewer", "editor"], sub: "ana" });
    const { nextPageToken } = await authedClient(JobService, server.url, token).listJobs({});
    expect(JSON.parse(nextPageToken)).toEqual({ subject: "ana", tenant: "acme", role: "editor" });
  });

  it("logs each refusal once with its code and reason, never the token", async () => {
    lines.length = 0;
    const token = await signed(claims({ exp: nowS() - 600 }));
    await outcome("grpc", { authorization: `Bearer ${token}`, "x-request-id": "refusal-1" });
    const logged = lines.filter((l) => l.correlationId === "refusal-1");
    expect(logged.map((l) => [l.msg, l.code, l.message])).toEqual([
      ["rpc", "unauthenticated", "token expired"],
    ]);
    expect(JSON.stringify(lines)).not.toContain(token.split(".")[2]);
  });
});

describe("acting on another tenant (chronoring-tenant)", () => {
  it("gets what each row says", async () => {
    const as = async (roles: string[], tenantHeader: string) => {
      const token = await auth.token({ tenant: "home", roles, sub: "root" });
      const client = authedClient(JobService, server.url, token, { actAs: tenantHeader });
      try {
        const caller = JSON.parse((await client.listJobs({})).nextPageToken);
        return `ok: ${caller.tenant}${caller.actingAs ? ` as ${caller.actingAs.ownTenant}` : ""}`;
      } catch (err) {
        const e = ConnectError.from(err);
        return `${Code[e.code]}: ${e.rawMessage}`;
      }
    };
    const denied =
      "PermissionDenied: acting on another tenant (chronoring-tenant) needs role admin";
    expect({
      "admin names acme": await as(["admin"], "acme"),
      "admin names its own tenant": await as(["admin"], "home"),
      "admin names a bad tenant": await as(["admin"], "Acme!"),
      "editor names acme": await as(["editor"], "acme"),
      "viewer names its own tenant": await as(["viewer"], "home"),
    }).toEqual({
      "admin names acme": "ok: acme as home",
      "admin names its own tenant": "ok: home",
      "admin names a bad tenant":
        "InvalidArgument: chronoring-tenant: not a tenant name (^[a-z0-9][a-z0-9-]{0,62}$)",
      "editor names acme": denied,
      "viewer names its own tenant": denied,
    });
  });

  it("logs an admin's call on another tenant at info, with both tenants", async () => {
    lines.length = 0;
    const token = await auth.token({ tenant: "home", roles: ["admin"], sub: "root" });
    await authedClient(JobService, server.url, token, { actAs: "acme" }).listJobs({});
    const acting = lines.find((l) => l.msg === "admin acting on another tenant");
    expect(acting).toMatchObject({
      level: 30,
      subject: "root",
      tenant: "acme",
      ownTenant: "home",
      procedure: "/chronoring.v1.JobService/ListJobs",
    });
  });
});

describe("what stays open, and /metrics", () => {
  it("serves grpc.health.v1.Health and /healthz without a token", async () => {
    const health = createClient(Health, transportWith("grpc", server.url));
    expect((await health.check({})).status).toBe(1);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("serves /metrics without a token by default", async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect([res.status, await res.text()]).toEqual([200, "chronoring_up 1\n"]);
  });

  it("with CHRONORING_METRICS_AUTH, answers /metrics as each row says", async () => {
    const scrape = async (headers: Record<string, string>) => {
      const res = await fetch(`${guarded.url}/metrics`, { headers });
      return `${res.status} ${res.headers.get("www-authenticate") ?? "-"}`;
    };
    const bearer = async (over: Record<string, unknown>) => ({
      authorization: `Bearer ${await signed(claims(over))}`,
    });
    expect({
      "no token": await scrape({}),
      "an expired token": await scrape(await bearer({ exp: nowS() - 600 })),
      "no known role": await scrape(await bearer({ roles: [] })),
      viewer: await scrape(await bearer({ roles: ["viewer"] })),
      "viewer naming another tenant (ignored here)": await scrape({
        ...(await bearer({ roles: ["viewer"] })),
        "chronoring-tenant": "acme",
      }),
    }).toEqual({
      "no token": "401 Bearer",
      "an expired token": '401 Bearer error="invalid_token", error_description="token expired"',
      "no known role": `403 Bearer error="insufficient_scope", error_description="token holds no known role in its 'roles' claim"`,
      viewer: "200 -",
      "viewer naming another tenant (ignored here)": "200 -",
    });
  });
});
