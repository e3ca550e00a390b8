/**
 * The CLI's exit codes (docs/cli.md), each made by a real server with auth on:
 * a bad field gets 3 with the server's message naming the field verbatim, an
 * unknown id 4, a viewer's create and a missing token 5, a version mismatch 6,
 * no server 7, a body over the limit 8, bad flags 2.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import { type CliOptions, cli, cliJson } from "../../support/cli.js";

const UNKNOWN_JOB = `job_${"0".repeat(26)}`;
const NOOP_JOB = ["jobs", "create", "--name", "exit codes", "--owner", "team-cli", "--noop"];

describe("chronoring exit codes", () => {
  let auth: TestAuth;
  let app: App;
  let admin: CliOptions;

  beforeAll(async () => {
    auth = await testAuth();
    app = await startApp(
      testConfig("cli-errors", { ...auth.settings, API_MAX_BODY_BYTES: "4096" }),
      { logger: silentLogger },
    );
    admin = { url: app.apiUrl!, token: await auth.token({ roles: ["admin"] }) };
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  it("exits 3 on a bad field, printing the server's message naming it", async () => {
    const r = await cli([...NOOP_JOB, "--cron", "61 * * * *"], admin);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^chronoring: \[invalid_argument\] schedule\.cron: /);
    expect(r.stdout).toBe("");
  });

  it("exits 4 on an unknown id", async () => {
    const r = await cli(["jobs", "get", UNKNOWN_JOB], admin);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/\[not_found\]/);
  });

  it("exits 5 for a viewer's create, and for a call without a token", async () => {
    const viewer = { ...admin, token: await auth.token({ roles: ["viewer"] }) };
    const denied = await cli([...NOOP_JOB, "--interval", "1h"], viewer);
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(/\[permission_denied\]/);
    // The viewer may still read.
    expect((await cli(["jobs", "list"], viewer)).code).toBe(0);

    // No token, and no dev token file in the working directory.
    const anonymous = await cli(["jobs", "list"], { url: admin.url, cwd: "/" });
    expect(anonymous.code).toBe(5);
    expect(anonymous.stderr).toMatch(/\[unauthenticated\][\s\S]*CHRONORING_TOKEN or --token/);
  });

  it("exits 6 when the job changed since the version given", async () => {
    const { job } = await cliJson<{ job: { id: string } }>(
      [...NOOP_JOB, "--interval", "1h"],
      admin,
    );
    const r = await cli(["jobs", "update", job.id, "--name", "late", "--if-version", "7"], admin);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/\[aborted\]/);
  });

  it("exits 7 when no server answers, saying where it looked", async () => {
    const r = await cli(["jobs", "list"], { ...admin, url: "http://127.0.0.1:9" });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(
      /\[unavailable\][\s\S]*is Chronoring running at http:\/\/127\.0\.0\.1:9\?/,
    );
  });

  it("exits 8 on a request over the server's body limit", async () => {
    const r = await cli(
      [...NOOP_JOB.slice(0, -1), "--interval", "1h", "--http-url", "http://127.0.0.1:9/"].concat([
        "--body",
        "x".repeat(8000),
      ]),
      admin,
    );
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/\[resource_exhausted\] request body exceeds 4096 bytes/);
  });

  it("exits 2 on bad flags, before any call", async () => {
    const unknown = await cli(["jobs", "list", "--colour"], admin);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--colour'/);
    const missing = await cli(["runs", "list"], admin);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/give --job ID or --worker ID/);
  });

  it("bin/chronoring.mjs, what a user runs in a checkout, runs the sources with the same codes", async () => {
    // The other tests run the CLI bundled from the sources (test/support/cli-bundle.ts).
    const bad = await cli([...NOOP_JOB, "--cron", "61 * * * *"], { ...admin, bin: true });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^chronoring: \[invalid_argument\] schedule\.cron: /);
    const listed = await cliJson<{ jobs?: unknown[] }>(["jobs", "list"], { ...admin, bin: true });
    expect(Array.isArray(listed.jobs ?? [])).toBe(true);
  });
});
