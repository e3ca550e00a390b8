/** The script handler builds the command's environment. */
import { describe, expect, it } from "vitest";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";
import { context, NODE, node } from "./script-support.js";

describe("script handler: environment", () => {
  // Default memory cap on: also proves that node starts under it.
  const handler = createScriptHandler({ allowList: [NODE, "dd"] });

  it("passes the job's env and the execution id, and not the worker's other variables", async () => {
    process.env.CHRONORING_TEST_SECRET = "leak";
    try {
      const result = await handler.run(
        node(
          "const e = process.env; console.log([e.GREETING, e.CHRONORING_EXECUTION_ID, e.CHRONORING_JOB_ID, e.CHRONORING_SCHEDULED_MS, e.CHRONORING_ATTEMPT, e.CHRONORING_TEST_SECRET ?? 'absent', typeof e.PATH].join(' '))",
          { env: { GREETING: "hi", CHRONORING_EXECUTION_ID: "forged" } },
        ),
        context(),
      );
      expect(result.summary).toBe(
        "exit 0\nhi job_01hx:1700000000000:3 job_01hx 1700000000000 3 absent string\n",
      );
    } finally {
      delete process.env.CHRONORING_TEST_SECRET;
    }
  });

  it("refuses env that would change which program runs (PATH, LD_PRELOAD)", async () => {
    for (const key of ["PATH", "LD_PRELOAD"]) {
      const result = await handler.run(node("0", { env: { [key]: "/tmp/x" } }), context());
      expect(result).toEqual({
        ok: false,
        retryable: false,
        summary: `env "${key}" may not be set by a job`,
      });
    }
  });
});
