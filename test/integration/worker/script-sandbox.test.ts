/**
 * Script jobs through the real app (API, scheduler, worker on DynamoDB Local
 * and the SQS emulator): the settings reach the handler, so a root worker runs
 * a script as its unprivileged user with only the allowed environment; the API
 * refuses a job env that changes which code runs; and a root worker whose
 * script user does not exist refuses to start.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const isRoot = process.getuid?.() === 0;
/** What the worker's environment holds that a script must not see, and one it may. */
const WORKER_ENV = {
  AWS_SECRET_ACCESS_KEY: "worker-secret",
  NODE_OPTIONS: "--no-warnings",
  PYTHONPATH: "/opt/worker/lib",
  CHRONORING_TEST_SHARED: "passed-through",
};
/** What the runner had: files share a process (the integration tier does not isolate them). */
const runnerEnv = Object.fromEntries(Object.keys(WORKER_ENV).map((k) => [k, process.env[k]]));
const now = { kind: { case: "after" as const, value: { seconds: 0n, nanos: 0 } } };
const sh = (body: string, env: Record<string, string> = {}) => ({
  kind: { case: "script" as const, value: { command: "sh", args: ["-c", body], env } },
});

async function invalidField(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    expect(e.code).toBe(Code.InvalidArgument);
    return e.rawMessage.slice(0, e.rawMessage.indexOf(":"));
  }
  throw new Error("call succeeded");
}

describe("script jobs in the app", () => {
  let app: App;
  let config: Config;
  let client: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    Object.assign(process.env, WORKER_ENV);
    config = testConfig("script-sandbox", {
      ETCD_ENDPOINTS: "",
      SCRIPT_ALLOW_LIST: "sh",
      SCRIPT_ENV_ALLOW: "CHRONORING_TEST_SHARED",
      SCRIPT_MAX_PROCS: "100",
    });
    app = await startApp(config, { logger: silentLogger });
    client = jobClient(app.apiUrl!);
  });
  afterAll(async () => {
    await app?.close();
    for (const [name, value] of Object.entries(runnerEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("runs a script as the configured user, with the job's env and only the allowed worker variables", async () => {
    const { job } = await client.createJob({
      name: "who am i",
      owner: "script-sandbox",
      schedule: now,
      target: sh("id -u; grep '^Max processes' /proc/self/limits; env | sort", { GREETING: "hi" }),
    });
    const run = await waitFor("the script's run to end", async () => {
      const { executions } = await client.listExecutions({ jobId: job!.id });
      const e = executions[0];
      return e && e.status !== ExecutionStatus.RUNNING && e.status !== ExecutionStatus.QUEUED
        ? e
        : undefined;
    });
    expect(run.status, run.error).toBe(ExecutionStatus.SUCCEEDED);
    const [status, uid, procs, ...envLines] = run.result.split("\n").filter(Boolean);
    expect(status).toBe("exit 0");
    if (isRoot) expect(config.worker.scriptUser?.spec).toBe("nobody");
    expect(Number(uid)).toBe(config.worker.scriptUser?.uid ?? process.getuid?.());
    expect(procs).toMatch(/^Max processes\s+100\s+100\s/);
    const names = envLines.map((line) => line.slice(0, line.indexOf("=")));
    expect(envLines).toContain("GREETING=hi");
    expect(envLines).toContain("CHRONORING_TEST_SHARED=passed-through");
    expect(envLines).toContain(`CHRONORING_JOB_ID=${job!.id}`);
    expect(names).toContain("CHRONORING_EXECUTION_ID");
    for (const name of ["AWS_SECRET_ACCESS_KEY", "NODE_OPTIONS", "PYTHONPATH"]) {
      expect(names).not.toContain(name);
    }
    expect(
      names.filter((n) => n.startsWith("CHRONORING_") && n !== "CHRONORING_TEST_SHARED"),
    ).toEqual([
      "CHRONORING_ATTEMPT",
      "CHRONORING_EXECUTION_ID",
      "CHRONORING_JOB_ID",
      "CHRONORING_SCHEDULED_MS",
    ]);
  });

  it("refuses NODE_OPTIONS, PYTHONPATH, LD_PRELOAD in a job's env at create and update, naming the variable", async () => {
    const create = (env: Record<string, string>) =>
      client.createJob({
        name: "n",
        owner: "script-sandbox",
        schedule: now,
        target: sh("true", env),
      });
    expect(
      await invalidField(create({ GREETING: "hi", NODE_OPTIONS: "--require /tmp/x.js" })),
    ).toBe("target.script.env.NODE_OPTIONS");
    expect(await invalidField(create({ LD_PRELOAD: "/tmp/x.so" }))).toBe(
      "target.script.env.LD_PRELOAD",
    );

    const { job } = await client.createJob({
      name: "later",
      owner: "script-sandbox",
      schedule: { kind: { case: "cron", value: "0 3 * * *" } },
      target: sh("true"),
    });
    expect(
      await invalidField(
        client.updateJob({
          job: { id: job!.id, target: sh("true", { PYTHONPATH: "/tmp/mods" }) },
          updateMask: { paths: ["target"] },
        }),
      ),
    ).toBe("job.target.script.env.PYTHONPATH");
  });
});

describe.skipIf(!isRoot)("a worker running as root", () => {
  it("refuses to start when its script user does not exist, naming the setting", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        CHRONORING_ROLES: "worker",
        CHRONORING_SCRIPT_USER: "chronoring-no-such-user",
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'chronoring: configuration error: CHRONORING_SCRIPT_USER: no user "chronoring-no-such-user" on this host; scripts of a worker running as root need an unprivileged user (a name or uid:gid)\n',
    );
  });
});
