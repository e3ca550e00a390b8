import { describe, expect, it } from "vitest";
import { ChronoringError } from "../../../src/core/errors.js";
import type { JobTarget } from "../../../src/core/job.js";
import type { JobInput } from "../../../src/core/job-commands.js";
import {
  validateJobId,
  validateJobInput,
  validatePageSize,
  validateTarget,
} from "../../../src/core/validate-job.js";

const http = (over: Partial<Extract<JobTarget, { type: "http" }>> = {}): JobTarget => ({
  type: "http",
  method: "POST",
  url: "https://example.com/hook",
  headers: { "X-Token": "abc" },
  bodyBase64: Buffer.from("{}").toString("base64"),
  timeoutMs: 30_000,
  ...over,
});

const script = (over: Partial<Extract<JobTarget, { type: "script" }>> = {}): JobTarget => ({
  type: "script",
  command: "echo",
  args: ["hello"],
  env: { GREETING: "hi" },
  timeoutMs: 60_000,
  ...over,
});

const input = (over: Partial<Omit<JobInput, "schedule">> = {}): Omit<JobInput, "schedule"> => ({
  name: "nightly report",
  owner: "team-a",
  tags: ["env:prod", "team/a"],
  target: http(),
  ...over,
});

/** The field an invalid_argument names, or a failure when none is thrown. */
function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ChronoringError);
    const e = err as ChronoringError;
    expect(e.kind).toBe("invalid_argument");
    expect(e.message.startsWith(`${e.field}: `)).toBe(true);
    return e.field;
  }
  throw new Error("expected an invalid_argument");
}

describe("validateJobInput", () => {
  it("accepts a valid job of each target type", () => {
    expect(() => validateJobInput(input())).not.toThrow();
    expect(() => validateJobInput(input({ target: script() }))).not.toThrow();
    expect(() => validateJobInput(input({ target: { type: "noop", sleepMs: 0 } }))).not.toThrow();
    expect(() => validateJobInput(input({ tags: [] }))).not.toThrow();
  });

  it.each<[string, Partial<Omit<JobInput, "schedule">>, string]>([
    ["blank name", { name: "   " }, "name"],
    ["name over 200 characters", { name: "n".repeat(201) }, "name"],
    ["missing owner", { owner: "" }, "owner"],
    ["owner over 128 characters", { owner: "o".repeat(129) }, "owner"],
    ["more than 20 tags", { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, "tags"],
    ["a tag with a space", { tags: ["ok", "ok2", "x", "bad tag"] }, "tags[3]"],
    ["an empty tag", { tags: [""] }, "tags[0]"],
    ["a tag over 64 characters", { tags: ["t".repeat(65)] }, "tags[0]"],
    ["a duplicate tag", { tags: ["a", "b", "a"] }, "tags[2]"],
    ["no target", { target: undefined as unknown as JobTarget }, "target"],
    ["a relative url", { target: http({ url: "/hook" }) }, "target.http.url"],
    ["an ftp url", { target: http({ url: "ftp://example.com/x" }) }, "target.http.url"],
    ["an unknown method", { target: http({ method: "BREW" }) }, "target.http.method"],
    ["a lowercase method", { target: http({ method: "post" }) }, "target.http.method"],
    ["a body with GET", { target: http({ method: "GET" }) }, "target.http.body"],
    ["a body with HEAD", { target: http({ method: "HEAD" }) }, "target.http.body"],
    [
      "a body over 64 KiB",
      { target: http({ bodyBase64: Buffer.alloc(64 * 1024 + 1).toString("base64") }) },
      "target.http.body",
    ],
    [
      "more than 50 headers",
      {
        target: http({
          headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`h${i}`, "v"])),
        }),
      },
      "target.http.headers",
    ],
    [
      "a bad header name",
      { target: http({ headers: { "bad name": "v" } }) },
      "target.http.headers",
    ],
    [
      "a CR/LF in a header value",
      { target: http({ headers: { a: "x\r\nInjected: 1" } }) },
      "target.http.headers",
    ],
    ["a zero http timeout", { target: http({ timeoutMs: 0 }) }, "target.http.timeout"],
    [
      "an http timeout over 15 min",
      { target: http({ timeoutMs: 15 * 60_000 + 1 }) },
      "target.http.timeout",
    ],
    ["an empty command", { target: script({ command: "" }) }, "target.script.command"],
    ["a NUL in the command", { target: script({ command: "ec\0ho" }) }, "target.script.command"],
    [
      "a command over 256 characters",
      { target: script({ command: "c".repeat(257) }) },
      "target.script.command",
    ],
    [
      "more than 100 args",
      { target: script({ args: Array(101).fill("a") }) },
      "target.script.args",
    ],
    [
      "an arg over 4096 characters",
      { target: script({ args: ["a", "x".repeat(4097)] }) },
      "target.script.args[1]",
    ],
    ["a bad env name", { target: script({ env: { "1X": "v" } }) }, "target.script.env"],
    ["a zero script timeout", { target: script({ timeoutMs: 0 }) }, "target.script.timeout"],
    [
      "a script timeout over 1 h",
      { target: script({ timeoutMs: 3_600_001 }) },
      "target.script.timeout",
    ],
    ["a negative noop sleep", { target: { type: "noop", sleepMs: -1 } }, "target.noop.sleep"],
    ["a noop sleep over 60 s", { target: { type: "noop", sleepMs: 60_001 } }, "target.noop.sleep"],
  ])("rejects %s on its field", (_, over, field) => {
    expect(fieldOf(() => validateJobInput(input(over)))).toBe(field);
  });

  it("accepts the limits themselves", () => {
    expect(() =>
      validateJobInput(
        input({
          name: "n".repeat(200),
          owner: "o".repeat(128),
          tags: Array.from({ length: 20 }, (_, i) => `t${i}`),
          target: http({
            timeoutMs: 15 * 60_000,
            bodyBase64: Buffer.alloc(64 * 1024).toString("base64"),
          }),
        }),
      ),
    ).not.toThrow();
    expect(() => validateTarget({ type: "noop", sleepMs: 60_000 })).not.toThrow();
  });

  it.each([
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PATH",
    "HOME",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "BASH_ENV",
    "ENV",
    "BASH_FUNC_ls",
    "PERL5OPT",
    "RUBYOPT",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "LUA_PATH_5_4",
  ])("rejects %s in a script's env, naming the variable (it changes which code runs)", (name) => {
    const target = script({ env: { GREETING: "hi", [name]: "x" } });
    expect(fieldOf(() => validateJobInput(input({ target })))).toBe(`target.script.env.${name}`);
    expect(fieldOf(() => validateTarget(target, "nodes[2].target"))).toBe(
      `nodes[2].target.script.env.${name}`,
    );
  });

  it("lets a job set names that only change what its command does (TZ, LANG, CHRONORING_*)", () => {
    const env = { TZ: "Europe/Berlin", LANG: "de_DE.UTF-8", PYTHONUNBUFFERED: "1", LD: "ld.gold" };
    expect(() => validateJobInput(input({ target: script({ env }) }))).not.toThrow();
  });

  it("counts a name in characters, not UTF-16 units", () => {
    expect(() => validateJobInput(input({ name: "😀".repeat(200) }))).not.toThrow();
  });

  it("rejects a job over 256 KiB serialized on target", () => {
    const env = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`V${i}`, "x".repeat(3000)]),
    );
    expect(fieldOf(() => validateJobInput(input({ target: script({ env }) })))).toBe("target");
  });
});

describe("validateJobId", () => {
  it("accepts an id of the pattern", () => {
    expect(() => validateJobId(`job_${"a1".repeat(13)}`)).not.toThrow();
  });
  it.each(["", "job_short", `JOB_${"a".repeat(26)}`, `job_${"A".repeat(26)}`])(
    "rejects %j on the given field",
    (id) => {
      expect(fieldOf(() => validateJobId(id))).toBe("id");
      expect(fieldOf(() => validateJobId(id, "job.id"))).toBe("job.id");
    },
  );
});

describe("validatePageSize", () => {
  it("maps 0 to 50 and keeps 1..500", () => {
    expect(validatePageSize(0, "page_size")).toBe(50);
    expect(validatePageSize(1, "page_size")).toBe(1);
    expect(validatePageSize(500, "page_size")).toBe(500);
  });
  it("rejects more than 500 on the field", () => {
    expect(fieldOf(() => validatePageSize(501, "page_size"))).toBe("page_size");
  });
});
