/**
 * Every RPC the app serves, called with a token of every role (and one with
 * no known role), against the real app with auth on: allowed or
 * PermissionDenied naming the role needed, as the documented table says.
 * Allowed means the call got past auth; with its empty request it may then
 * fail InvalidArgument or NotFound. Also /metrics behind CHRONORING_METRICS_AUTH.
 */

import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { procedureName } from "../../../src/api/access.js";
import { type App, startApp } from "../../../src/app.js";
import { ROLES, roleIncludes } from "../../../src/core/caller.js";
import { DOCUMENTED_ACCESS, registeredMethods } from "../../support/access.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { type TestAuth, testAuth, transportWith } from "../../support/auth.js";

const GRANTS = [...ROLES, "no known role"] as const;
type Grant = (typeof GRANTS)[number];

let auth: TestAuth;
let app: App;

beforeAll(async () => {
  auth = await testAuth();
  app = await startApp(
    testConfig("rpc-roles", { ROLES: "api", METRICS_AUTH: "true", ...auth.settings }),
    { logger: silentLogger },
  );
});
afterAll(async () => {
  await app?.close();
  auth?.cleanup();
});

/** "allowed", or the code and message of a refusal by auth. */
async function outcome(method: DescMethod, token: string): Promise<string> {
  const transport = transportWith("grpc", app.apiUrl!, { authorization: `Bearer ${token}` });
  const client = createClient(method.parent, transport) as unknown as Record<
    string,
    (req: object, options: { signal: AbortSignal }) => Promise<unknown> | AsyncIterable<unknown>
  >;
  const abort = new AbortController();
  try {
    // A client stream (ImportJobs) gets an empty stream of requests.
    const request = method.methodKind === "client_streaming" ? (async function* () {})() : {};
    const call = client[method.localName]!(request, { signal: abort.signal });
    if (method.methodKind === "server_streaming") {
      for await (const _ of call as AsyncIterable<unknown>) break;
    } else {
      await call;
    }
    return "allowed";
  } catch (err) {
    const e = ConnectError.from(err);
    if (e.code !== Code.PermissionDenied && e.code !== Code.Unauthenticated) return "allowed";
    return `${Code[e.code]}: ${e.rawMessage}`;
  } finally {
    abort.abort();
  }
}

describe("every RPC × every role", () => {
  // 36 methods x 5 grants, one call each.
  it("is allowed or PermissionDenied as the role table says", { timeout: 120_000 }, async () => {
    const tokens = new Map<Grant, string>();
    for (const grant of GRANTS) {
      const roles = grant === "no known role" ? ["superuser"] : [grant];
      tokens.set(grant, await auth.token({ tenant: "roles-test", roles }));
    }
    const expected: Record<string, string> = {};
    const actual: Record<string, string> = {};
    for (const method of registeredMethods()) {
      const procedure = procedureName(method);
      const needs = DOCUMENTED_ACCESS[procedure];
      for (const grant of GRANTS) {
        const key = `${procedure} as ${grant}`;
        if (needs === "open") expected[key] = "allowed";
        else if (grant === "no known role")
          expected[key] = 'PermissionDenied: token holds no known role in its "roles" claim';
        else if (needs !== undefined && roleIncludes(grant, needs)) expected[key] = "allowed";
        else expected[key] = `PermissionDenied: ${procedure} needs role ${needs}`;
        actual[key] = await outcome(method, tokens.get(grant)!);
      }
    }
    expect(Object.keys(actual).length).toBe(Object.keys(DOCUMENTED_ACCESS).length * GRANTS.length);
    expect(actual).toEqual(expected);
  });
});

describe("/metrics with CHRONORING_METRICS_AUTH=true", () => {
  it("answers 401 without a token and serves a viewer", async () => {
    const bare = await fetch(`${app.apiUrl}/metrics`);
    expect([bare.status, bare.headers.get("www-authenticate")]).toEqual([401, "Bearer"]);
    const token = await auth.token({ roles: ["viewer"] });
    const res = await fetch(`${app.apiUrl}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("process_cpu_seconds_total");
  });
});
