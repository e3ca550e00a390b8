/**
 * Chronoring processes (src/main.ts) with auth settings: jwt mode without a
 * JWKS, or with a JWKS file that is not there, stops at start with a message
 * naming CHRONORING_AUTH_JWKS; a process reading its keys from an https JWKS
 * (a local server whose self-signed certificate it trusts through
 * NODE_EXTRA_CA_CERTS) accepts a good token, refuses an unknown kid without
 * fetching the JWKS again within 30 s, and serves /metrics without a token.
 */

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../deploy/local/backends.js";
import {
  type ChronoringProcess,
  startChronoring,
} from "../../../deploy/local/chronoring-process.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { testBackends, uniquePrefix } from "../../support/backends.js";
import { type HttpsJwksServer, startHttpsJwks } from "../../support/https-jwks.js";

const ROOT = resolve(import.meta.dirname, "../../..");

/** The env of an API process on the test backends; `settings` are CHRONORING_* without the prefix. */
function apiEnv(label: string, settings: Record<string, string>): Record<string, string> {
  const b = testBackends();
  const prefix = uniquePrefix(label);
  const env: Record<string, string> = {
    CHRONORING_ROLES: "api",
    CHRONORING_DYNAMODB_ENDPOINT: b.dynamodb,
    CHRONORING_SQS_ENDPOINT: b.sqs,
    CHRONORING_ETCD_ENDPOINTS: "",
    CHRONORING_AWS_REGION: b.region,
    CHRONORING_TABLE_PREFIX: prefix,
    CHRONORING_QUEUE_PREFIX: prefix,
    CHRONORING_PARTITIONS: "4",
    CHRONORING_BACKEND_WAIT_MS: "5000",
  };
  for (const [k, v] of Object.entries(settings)) env[`CHRONORING_${k}`] = v;
  return env;
}

/** Runs src/main.ts until it exits; its exit code and stderr. */
async function runUntilExit(
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("CHRONORING_")),
  );
  try {
    await promisify(execFile)(process.execPath, ["--import", "tsx", join(ROOT, "src/main.ts")], {
      cwd: ROOT,
      env: { ...clean, ...env, CHRONORING_API_PORT: "0" },
      timeout: 60_000,
    });
    return { code: 0, stderr: "" };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? "" };
  }
}

describe("a process in jwt mode that cannot check tokens", () => {
  // Two processes start and stop (tsx compiles on each start).
  it("stops at start with a message naming CHRONORING_AUTH_JWKS", {
    timeout: 120_000,
  }, async () => {
    const [unset, missing] = await Promise.all([
      runUntilExit(apiEnv("auth-nojwks", {})),
      runUntilExit(
        apiEnv("auth-missing", {
          AUTH_JWKS: "/nonexistent/jwks.json",
          AUTH_ISSUER: "https://issuer.test",
          AUTH_AUDIENCE: "chronoring-test",
        }),
      ),
    ]);
    const outcomes = { "no JWKS set": unset, "a JWKS file that is not there": missing };
    const summary = Object.fromEntries(
      Object.entries(outcomes).map(([k, { code, stderr }]) => [
        k,
        `exit ${code}: ${stderr.split("\n").find((l) => l.includes("configuration error")) ?? stderr}`,
      ]),
    );
    expect(summary).toEqual({
      "no JWKS set":
        "exit 2: chronoring: configuration error: CHRONORING_AUTH_JWKS: required with CHRONORING_AUTH_MODE=jwt (a JWKS file path or https URL holding the token signing keys); or set CHRONORING_AUTH_MODE=off to run without authentication",
      "a JWKS file that is not there": expect.stringMatching(
        /^exit 2: chronoring: configuration error: CHRONORING_AUTH_JWKS: cannot load the JWKS \/nonexistent\/jwks.json: ENOENT/,
      ),
    });
  });
});

describe("a process reading its keys from an https JWKS", () => {
  let auth: TestAuth;
  let jwks: HttpsJwksServer;
  let node: ChronoringProcess | undefined;
  let logDir: string;

  beforeAll(async () => {
    auth = await testAuth();
    jwks = await startHttpsJwks(() => auth.jwks());
    logDir = mkdtempSync(join(tmpdir(), "chronoring-auth-url-"));
    node = await startChronoring({
      name: "api",
      logDir,
      env: {
        ...apiEnv("auth-url", {
          ...auth.settings,
          AUTH_JWKS: jwks.url,
          API_PORT: String(await freePort()),
          LOG_LEVEL: "info",
        }),
        NODE_EXTRA_CA_CERTS: jwks.certPath,
      },
    });
  });
  afterAll(async () => {
    await node?.process.stop();
    await jwks?.close();
    auth?.cleanup();
    rmSync(logDir, { recursive: true, force: true });
  });

  it("accepts a good token, refuses an unknown kid, and fetched the JWKS once", async () => {
    const call = async (token: string) => {
      try {
        await authedClient(JobService, node!.apiUrl!, token).listJobs({});
        return "ok";
      } catch (err) {
        const e = ConnectError.from(err);
        return `${Code[e.code]}: ${e.rawMessage}`;
      }
    };
    const later = await auth.newKey({ publish: false });
    const outcomes = [
      await call(await auth.token()),
      await call(await auth.token({ key: later })),
      await call(await auth.token({ key: later })),
    ];
    expect(outcomes).toEqual([
      "ok",
      "Unauthenticated: unknown signing key",
      "Unauthenticated: unknown signing key",
    ]);
    // Loaded at start; the unknown kids came within 30 s of it, so no refetch.
    expect(jwks.fetches()).toBe(1);
  });

  it("serves /metrics without a token (CHRONORING_METRICS_AUTH is off by default)", async () => {
    expect((await fetch(node!.metricsUrl!)).status).toBe(200);
  });
});
