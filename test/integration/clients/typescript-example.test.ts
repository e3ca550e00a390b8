/**
 * clients/typescript/example.ts as a person runs it (`npx tsx ... <url>`, a child
 * process) against a real app: it exits 0 having done every step; and with
 * CHRONORING_TOKEN set it sends `authorization: Bearer <token>` and explains an
 * Unauthenticated answer.
 */

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { startRecordingGrpcServer } from "../../support/recording-grpc-server.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));

function example(url: string, token?: string) {
  const { CHRONORING_TOKEN: _, ...env } = process.env;
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      TSX,
      ["clients/typescript/example.ts", url],
      { cwd: REPO, env: token ? { ...env, CHRONORING_TOKEN: token } : env, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("clients/typescript/example.ts", () => {
  let app: App;
  beforeAll(async () => {
    const config = testConfig("ts-example");
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
  });
  afterAll(() => app?.close());

  it("runs every step against a real app and exits 0", async () => {
    const run = await example(app.apiUrl!);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^created job_[a-z0-9]{26} \(ACTIVE, version 1\)/);
    for (const line of [
      /^triggered job_\S+ \(QUEUED\)$/m,
      // The example lists the run once it has finished. On an overloaded machine the worker
      // may lose its 3 s test session and abort the run (FAILED, "aborted after ..."): that
      // is the worker's doing, not the client's.
      /^ {2}(SUCCEEDED|FAILED) /m,
      /^renamed: "weekday report \(renamed\)", version 2$/m,
      /^paused: PAUSED/m,
      /^deleted: CANCELLED$/m,
      /^ {2}cron with minute 61: InvalidArgument - bad request, field "schedule.cron"/m,
      /^ {2}job that does not exist: NotFound/m,
    ]) {
      expect(run.stdout).toMatch(line);
    }
  });

  it("sends CHRONORING_TOKEN as `authorization: Bearer` and explains Unauthenticated", async () => {
    const server = await startRecordingGrpcServer(16, "authorization: token expired");
    try {
      const run = await example(server.url, "t0k3n");
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^example failed: no valid token \(set CHRONORING_TOKEN\)/);
      expect(server.calls.map((c) => [c.path, c.headers.authorization])).toEqual([
        ["/chronoring.v1.JobService/CreateJob", "Bearer t0k3n"],
      ]);
    } finally {
      await server.close();
    }
  });
});
