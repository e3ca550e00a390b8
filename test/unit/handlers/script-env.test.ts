/**
 * The script handler builds the command's environment from an allow-list: a
 * fixed base, the job's own variables and the run's CHRONORING_* ones; of the
 * worker's environment only what `envAllow` names.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";
import { SCRIPT_PATH } from "../../../src/worker/handlers/script-env.js";
import { context, NODE, node, printedEnv, RUN_AS, script } from "./script-support.js";

const ENV = "/usr/bin/env";
/** What a worker could hold that must not reach a script. */
const WORKER_SECRETS = {
  NODE_OPTIONS: "--no-warnings",
  PYTHONPATH: "/opt/worker/lib",
  AWS_SECRET_ACCESS_KEY: "worker-secret",
  CHRONORING_DYNAMODB_ENDPOINT: "http://127.0.0.1:8000",
};

/** What the runner had: files share a process (the unit tier does not isolate them). */
const before = Object.fromEntries(Object.keys(WORKER_SECRETS).map((k) => [k, process.env[k]]));
beforeAll(() => {
  Object.assign(process.env, WORKER_SECRETS);
});
afterAll(() => {
  for (const [name, value] of Object.entries(before)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("script handler: environment", () => {
  it("gives the script the fixed base, the job's variables and the run's CHRONORING_* ones, nothing else", async () => {
    const handler = createScriptHandler({ allowList: [ENV], user: RUN_AS });
    const result = await handler.run(
      script(ENV, [], { GREETING: "hi", CHRONORING_EXECUTION_ID: "forged" }),
      context(),
    );
    expect(result.ok).toBe(true);
    const env = printedEnv(result.summary);
    expect(Object.keys(env).sort()).toEqual(
      [
        "CHRONORING_ATTEMPT",
        "CHRONORING_EXECUTION_ID",
        "CHRONORING_JOB_ID",
        "CHRONORING_SCHEDULED_MS",
        "GREETING",
        "HOME",
        "LANG",
        "PATH",
        "TMPDIR",
        "TZ",
      ].sort(),
    );
    expect(env).toMatchObject({
      GREETING: "hi",
      // The run's own values win over a job's.
      CHRONORING_EXECUTION_ID: "job_01hx:1700000000000:3",
      CHRONORING_JOB_ID: "job_01hx",
      CHRONORING_SCHEDULED_MS: "1700000000000",
      CHRONORING_ATTEMPT: "3",
      PATH: SCRIPT_PATH,
      LANG: "C.UTF-8",
      TZ: "UTC",
    });
    expect(env.HOME).toMatch(/\/chronoring-run-[^/]+$/);
    expect(env.TMPDIR).toBe(env.HOME);
  });

  it("passes a worker variable named in envAllow, and lets a job set such a name", async () => {
    const handler = createScriptHandler({
      allowList: [ENV],
      user: RUN_AS,
      envAllow: ["NODE_OPTIONS", "CHRONORING_TEST_UNSET"],
    });
    const fromWorker = printedEnv((await handler.run(script(ENV, []), context())).summary);
    expect(fromWorker.NODE_OPTIONS).toBe("--no-warnings");
    expect(fromWorker).not.toHaveProperty("PYTHONPATH");
    expect(fromWorker).not.toHaveProperty("AWS_SECRET_ACCESS_KEY");
    expect(fromWorker).not.toHaveProperty("CHRONORING_TEST_UNSET");

    const fromJob = await handler.run(
      script(ENV, [], { NODE_OPTIONS: "--trace-warnings" }),
      context(),
    );
    expect(printedEnv(fromJob.summary).NODE_OPTIONS).toBe("--trace-warnings");
  });

  it("lets a job set the base's LANG and TZ", async () => {
    const handler = createScriptHandler({ allowList: [ENV], user: RUN_AS });
    const result = await handler.run(
      script(ENV, [], { TZ: "Europe/Berlin", LANG: "C" }),
      context(),
    );
    expect(printedEnv(result.summary)).toMatchObject({ TZ: "Europe/Berlin", LANG: "C" });
  });

  it.each(["PATH", "HOME", "LD_PRELOAD", "NODE_OPTIONS", "PYTHONPATH", "BASH_ENV"])(
    "fails a job that sets %s without running it, unless the worker admits the name",
    async (name) => {
      const handler = createScriptHandler({ allowList: [NODE], user: RUN_AS });
      const refused = await handler.run(
        node("console.log('ran')", { env: { [name]: "/tmp/x" } }),
        context(),
      );
      expect(refused).toEqual({
        ok: false,
        retryable: false,
        summary: `env "${name}" may not be set by a job: it changes which code the command loads (a worker admits it only when it is in CHRONORING_SCRIPT_ENV_ALLOW)`,
      });
    },
  );

  it("runs a job setting a code-loading name the worker admits", async () => {
    const handler = createScriptHandler({
      allowList: [NODE],
      user: RUN_AS,
      envAllow: ["PYTHONPATH"],
    });
    const result = await handler.run(
      node("console.log(process.env.PYTHONPATH)", { env: { PYTHONPATH: "/opt/job/lib" } }),
      context(),
    );
    expect(result).toEqual({ ok: true, summary: "exit 0\n/opt/job/lib\n" });
  });
});
