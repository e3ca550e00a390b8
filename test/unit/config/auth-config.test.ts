/**
 * The auth settings: jwt by default, so a process serving the API without a
 * JWKS (or issuer, or audience) stops with a message naming the setting; a
 * scheduler or worker needs none of them.
 */

import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.js";

const JWT = {
  CHRONORING_AUTH_JWKS: "/etc/chronoring/jwks.json",
  CHRONORING_AUTH_ISSUER: "https://idp.example.com/",
  CHRONORING_AUTH_AUDIENCE: "chronoring",
};

/** "ok: <mode> <jwks>" or the ConfigError's message. */
function outcome(env: Record<string, string>): string {
  try {
    const { auth } = loadConfig(env, []);
    return `ok: ${auth.mode} ${auth.jwks || "-"} metrics=${auth.metrics}`;
  } catch (err) {
    return (err as Error).message;
  }
}

describe("auth settings", () => {
  it("get what each row says", () => {
    const rows: Record<string, Record<string, string>> = {
      "api role, nothing set": {},
      "api role, JWKS, issuer and audience": JWT,
      "api role, an https JWKS": { ...JWT, CHRONORING_AUTH_JWKS: "https://idp.example.com/jwks" },
      "api role, an http JWKS": { ...JWT, CHRONORING_AUTH_JWKS: "http://idp.example.com/jwks" },
      "api role, no issuer": { ...JWT, CHRONORING_AUTH_ISSUER: "" },
      "api role, no audience": { ...JWT, CHRONORING_AUTH_AUDIENCE: "" },
      "api role, empty roles claim": { ...JWT, CHRONORING_AUTH_ROLES_CLAIM: "" },
      "api role, auth off": { CHRONORING_AUTH_MODE: "off" },
      "api role, auth mode jws": { CHRONORING_AUTH_MODE: "jws" },
      "worker role, nothing set": { CHRONORING_ROLES: "worker" },
      "scheduler with a bare /metrics, nothing set": {
        CHRONORING_ROLES: "scheduler",
        CHRONORING_METRICS_PORT: "9100",
      },
      "scheduler with a bare /metrics behind auth, no JWKS": {
        CHRONORING_ROLES: "scheduler",
        CHRONORING_METRICS_PORT: "9100",
        CHRONORING_METRICS_AUTH: "true",
      },
      "metrics auth with auth off": {
        CHRONORING_AUTH_MODE: "off",
        CHRONORING_METRICS_AUTH: "true",
      },
      "metrics auth with jwt": { ...JWT, CHRONORING_METRICS_AUTH: "true" },
    };
    const needs = (name: string, what: string) =>
      `${name}: required with CHRONORING_AUTH_MODE=jwt (${what}); or set CHRONORING_AUTH_MODE=off to run without authentication`;
    const noJwks = needs(
      "CHRONORING_AUTH_JWKS",
      "a JWKS file path or https URL holding the token signing keys",
    );
    expect(Object.fromEntries(Object.entries(rows).map(([k, env]) => [k, outcome(env)]))).toEqual({
      "api role, nothing set": noJwks,
      "api role, JWKS, issuer and audience": "ok: jwt /etc/chronoring/jwks.json metrics=false",
      "api role, an https JWKS": "ok: jwt https://idp.example.com/jwks metrics=false",
      "api role, an http JWKS":
        'CHRONORING_AUTH_JWKS: "http://idp.example.com/jwks" is neither a file path nor an https:// URL',
      "api role, no issuer": needs("CHRONORING_AUTH_ISSUER", "the iss every token must carry"),
      "api role, no audience": needs("CHRONORING_AUTH_AUDIENCE", "the aud every token must carry"),
      "api role, empty roles claim": needs(
        "CHRONORING_AUTH_ROLES_CLAIM",
        "the claim holding the roles",
      ),
      "api role, auth off": "ok: off - metrics=false",
      "api role, auth mode jws": 'CHRONORING_AUTH_MODE: "jws" is not one of jwt, off',
      "worker role, nothing set": "ok: jwt - metrics=false",
      "scheduler with a bare /metrics, nothing set": "ok: jwt - metrics=false",
      "scheduler with a bare /metrics behind auth, no JWKS": noJwks,
      "metrics auth with auth off":
        "CHRONORING_METRICS_AUTH: needs CHRONORING_AUTH_MODE=jwt (there are no tokens to check)",
      "metrics auth with jwt": "ok: jwt /etc/chronoring/jwks.json metrics=true",
    });
  });

  it("reads the claim names, with tenant and roles by default", () => {
    expect(loadConfig(JWT, []).auth).toMatchObject({ tenantClaim: "tenant", rolesClaim: "roles" });
    const custom = loadConfig(JWT, ["--auth-tenant-claim", "org", "--auth-roles-claim", "groups"]);
    expect(custom.auth).toMatchObject({ tenantClaim: "org", rolesClaim: "groups" });
  });
});
