import { describe, expect, it } from "vitest";
import { ChronoringError } from "../../../src/core/errors.js";
import { type JobCommands, withInputChecks } from "../../../src/core/job-command-checks.js";
import type { JobInput } from "../../../src/core/job-input.js";
import { compileTargetAllow } from "../../../src/core/target-address.js";

const JOB_ID = `job_${"1".repeat(26)}`;
const GOOD: JobInput = {
  name: "n",
  owner: "o",
  tags: [],
  schedule: { cron: "0 3 * * *" },
  target: { type: "noop", sleepMs: 0 },
};

/** Commands that record every call that got through the checks. */
function recording() {
  const calls: string[] = [];
  const commands = new Proxy({} as JobCommands, {
    get: (_t, name: string) => async () => {
      calls.push(name);
      return undefined;
    },
  });
  return {
    calls,
    checked: withInputChecks(commands, {
      emailEnabled: false,
      targetAllow: compileTargetAllow([]),
    }),
  };
}

async function refusal(call: Promise<unknown>): Promise<{ field?: string; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ChronoringError && err.kind === "invalid_argument") {
      return { ...(err.field ? { field: err.field } : {}), message: err.message };
    }
    throw err;
  }
  throw new Error("expected invalid_argument");
}

describe("withInputChecks: every JobCommands input is checked once, in core", () => {
  it("refuses a bad input, naming its field, before the commands see it", async () => {
    const { calls, checked } = recording();
    const cases: Array<[Promise<unknown>, string]> = [
      [checked.create("t", { ...GOOD, owner: "" }), "owner"],
      [checked.create("t", { ...GOOD, tags: ["ok", "no spaces"] }), "tags[1]"],
      [checked.get("t", "nope"), "id"],
      [checked.list("t", { pageSize: 10, tag: "a b" }), "tag"],
      [checked.update("t", "x", { name: "" }), "id"],
      [checked.update("t", JOB_ID, { name: " " }), "name"],
      [checked.cancel("t", ""), "id"],
      [checked.pause("t", "x", { by: "u" }), "id"],
      [checked.resume("t", "x", { by: "u" }), "id"],
      [checked.pause("t", JOB_ID, { by: "u", note: "x".repeat(501) }), "note"],
      [checked.pause("t", JOB_ID, { by: "u", note: "two\nlines" }), "note"],
      [checked.resume("t", JOB_ID, { by: "u", note: "é".repeat(501) }), "note"],
      [checked.trigger("t", "x"), "id"],
      [checked.listExecutions("t", { pageSize: 10, jobId: "x" }), "job_id"],
      [checked.getExecution("t", ""), "id"],
      [checked.getExecution("t", "x:1:1"), "id"],
      [checked.preview("t", GOOD.schedule, undefined, 1, "x"), "job_id"],
    ];
    for (const [call, field] of cases) expect((await refusal(call)).field).toBe(field);
    expect(calls).toEqual([]);
  });

  it("gives one message per rule, whatever the operation", async () => {
    const { checked } = recording();
    const badId = await refusal(checked.get("t", "x"));
    expect((await refusal(checked.trigger("t", "x"))).message).toBe(badId.message);
    expect(badId.message).toBe("id: must be job_ followed by 26 lowercase letters and digits");
    expect((await refusal(checked.getExecution("t", "x:1:1"))).message).toBe(
      "id: must be <job id>:<scheduled ms>:<attempt>",
    );
    expect((await refusal(checked.getExecution("t", ""))).message).toBe("id: required");
    const long = await refusal(checked.pause("t", JOB_ID, { by: "u", note: "x".repeat(501) }));
    expect(long.message).toBe("note: must be at most 500 characters");
    expect((await refusal(checked.resume("t", JOB_ID, { by: "u", note: "a\tb" }))).message).toBe(
      "note: must not contain control characters (line breaks, tabs)",
    );
  });

  it("passes a good input on unchanged", async () => {
    const { calls, checked } = recording();
    await checked.create("t", GOOD);
    await checked.get("t", JOB_ID);
    await checked.getExecution("t", `${JOB_ID}:1000:1`);
    await checked.pause("t", JOB_ID, { by: "u", note: "é".repeat(500) });
    expect(calls).toEqual(["create", "get", "getExecution", "pause"]);
  });
});
