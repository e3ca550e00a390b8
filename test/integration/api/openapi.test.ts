/**
 * `GET /openapi.json` on the real app (auth on): served without a token, and
 * true to the routes: every path and method it lists answers (with an admin
 * token; a 400 or a NotFound for placeholder ids is an answer, a 404 from no
 * route or a 405 is not), and every annotated route of the registered
 * services is in it.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindingsOf } from "../../../src/api/rest/bindings.js";
import { openApiPath } from "../../../src/api/rest/path-template.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import { SERVED_SERVICES } from "../../support/services.js";

interface Operation {
  requestBody?: unknown;
}

describe("GET /openapi.json", () => {
  let app: App;
  let auth: TestAuth;
  let admin: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON document read in assertions
  let doc: any;

  beforeAll(async () => {
    auth = await testAuth();
    app = await startApp(testConfig("openapi", auth.settings), { logger: silentLogger });
    admin = await auth.token({ tenant: "acme", roles: ["admin"] });
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  it("is served without a token, as JSON", async () => {
    const res = await fetch(`${app.apiUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    doc = await res.json();
    expect(doc.openapi).toBe("3.1.0");
  });

  it("lists every annotated route of the served services", () => {
    const listed = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const served = bindingsOf(SERVED_SERVICES.flatMap((s) => s.methods)).map(
      (b) => `${b.httpMethod} ${openApiPath(b.template)}`,
    );
    expect(listed.sort()).toEqual(served.sort());
  });

  it("has every listed path and method answer on the app", async () => {
    const calls = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, Operation>).map(async ([method, op]) => {
        const url = path.replace(/\{[^}]+\}/g, "placeholder");
        const res = await fetch(`${app.apiUrl}${url}`, {
          method: method.toUpperCase(),
          headers: {
            authorization: `Bearer ${admin}`,
            ...(op.requestBody ? { "content-type": "application/json" } : {}),
          },
          ...(op.requestBody ? { body: "{}" } : {}),
        });
        const text = await res.text();
        const code = text ? (JSON.parse(text) as { code?: string }).code : undefined;
        // No route: 404 with no body; a method not served: 405.
        const answered =
          res.status !== 405 && (res.status !== 404 || code === "not_found") && res.status < 500;
        return answered ? undefined : `${method.toUpperCase()} ${url}: ${res.status} ${text}`;
      }),
    );
    expect((await Promise.all(calls)).filter(Boolean)).toEqual([]);
  });
});
