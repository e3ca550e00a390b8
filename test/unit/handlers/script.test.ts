import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScriptTarget } from "../../../src/core/job.js";
import type { RunContext } from "../../../src/worker/handlers/registry.js";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";

const NODE = process.execPath;
const hasPrlimit = process.platform === "linux" && existsSync("/usr/bin/prlimit");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chronoring-script-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(signal = new AbortController().signal): RunContext {
  return {
    executionId: "job_01hx:1700000000000:3",
    jobId: "job_01hx",
    scheduledMs: 1_700_000_000_000,
    attempt: 3,
    signal,
    logger: pino({ level: "silent" }),
  };
}

function node(code: string, extra: Partial<ScriptTarget> = {}): ScriptTarget {
  return {
    type: "script",
    command: NODE,
    args: ["-e", code],
    env: {},
    timeoutMs: 10_000,
    ...extra,
  };
}

/** Running, i.e. neither gone nor a zombie waiting for init to reap it. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== "linux") return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, ms = 1000): Promise<boolean> {
  const until = performance.now() + ms;
  while (!check()) {
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe("script handler", () => {
  // Default memory cap on: also proves that node starts under it.
  const handler = createScriptHandler({ allowList: [NODE, "dd"] });

  it("runs an allow-listed command and succeeds on exit 0 with its output", async () => {
    const result = await handler.run(node("console.log('hello')"), context());
    expect(result).toEqual({ ok: true, summary: "exit 0\nhello\n" });
  });

  it("fails with the exit code on a non-zero exit", async () => {
    const result = await handler.run(node("process.exit(3)"), context());
    expect(result).toEqual({ ok: false, retryable: true, summary: "exit 3" });
  });

  it("captures stdout and stderr together", async () => {
    const result = await handler.run(
      node(
        "process.stdout.write('out\\n'); setTimeout(() => { process.stderr.write('err\\n'); process.exit(1) }, 50)",
      ),
      context(),
    );
    expect(result).toEqual({ ok: false, retryable: true, summary: "exit 1\nout\nerr\n" });
  });

  it("passes args without a shell", async () => {
    const result = await handler.run(
      {
        ...node("console.log(JSON.stringify(process.argv.slice(1)))"),
        args: ["-e", "console.log(JSON.stringify(process.argv.slice(1)))", "$HOME", "a b;c"],
      },
      context(),
    );
    expect(result.summary).toBe('exit 0\n["$HOME","a b;c"]\n');
  });

  it("refuses a command not on the allow-list without running it", async () => {
    const marker = join(dir, "should-not-exist");
    const result = await handler.run(
      { type: "script", command: "touch", args: [marker], env: {}, timeoutMs: 1000 },
      context(),
    );
    expect(result).toEqual({
      ok: false,
      retryable: false,
      summary: 'command "touch" is not on the worker\'s allow-list',
    });
    expect(existsSync(marker)).toBe(false);
  });

  it("matches the allow-list exactly, not by basename or path", async () => {
    const result = await handler.run(
      { type: "script", command: "/bin/dd", args: [], env: {}, timeoutMs: 1000 },
      context(),
    );
    expect(result.ok).toBe(false);
    expect(result.summary).toContain("is not on the worker's allow-list");
  });

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

  it("kills the command with SIGTERM when it runs past its timeout", async () => {
    const started = performance.now();
    const result = await handler.run(
      node("setInterval(() => {}, 1000)", { timeoutMs: 200 }),
      context(),
    );
    expect(performance.now() - started).toBeLessThan(1500);
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: "killed by SIGTERM (timed out after 200 ms)",
    });
  });

  it("escalates to SIGKILL after the grace period when SIGTERM is ignored", async () => {
    const quick = createScriptHandler({ allowList: [NODE], killGraceMs: 300 });
    const result = await quick.run(
      node("process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)", {
        timeoutMs: 300,
      }),
      context(),
    );
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: "killed by SIGKILL (timed out after 300 ms)\nready\n",
    });
  });

  it("uses the default 2 s grace before SIGKILL", async () => {
    const started = performance.now();
    const result = await handler.run(
      node("process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)", {
        timeoutMs: 200,
      }),
      context(),
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2100);
    expect(elapsed).toBeLessThan(4000);
    expect(result.summary.startsWith("killed by SIGKILL (timed out after 200 ms)")).toBe(true);
  });

  it("fails a command that traps SIGTERM and exits 0 on timeout", async () => {
    const result = await handler.run(
      node("process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)", {
        timeoutMs: 200,
      }),
      context(),
    );
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: "exit 0 after SIGTERM (timed out after 200 ms)",
    });
  });

  it("kills the processes the command started when it times out", async () => {
    const result = await handler.run(
      node(
        `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
         console.log(c.pid); setInterval(() => {}, 1000)`,
        { timeoutMs: 500 },
      ),
      context(),
    );
    expect(result.ok).toBe(false);
    const grandchild = Number(result.summary.split("\n")[1]);
    expect(grandchild).toBeGreaterThan(0);
    expect(await eventually(() => !running(grandchild))).toBe(true);
  });

  it("does not wait for a background process that keeps the output pipe open", async () => {
    const started = performance.now();
    const result = await handler.run(
      node(
        "require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' }).unref(); console.log('done')",
      ),
      context(),
    );
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result).toEqual({ ok: true, summary: "exit 0\ndone\n" });
  });

  it("stops the command when the run's signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("worker shutting down")), 200);
    const result = await handler.run(
      node("setInterval(() => {}, 1000)"),
      context(controller.signal),
    );
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: "killed by SIGTERM (aborted: worker shutting down)",
    });
  });

  it("does not start when the signal is already aborted", async () => {
    const result = await handler.run(node("0"), context(AbortSignal.abort()));
    expect(result).toEqual({ ok: false, retryable: true, summary: "aborted before start" });
  });

  it("keeps the first maxOutputBytes of output and counts the dropped bytes", async () => {
    const small = createScriptHandler({ allowList: [NODE], maxOutputBytes: 200 });
    const result = await small.run(node("process.stdout.write('x'.repeat(100000))"), context());
    expect(result.ok).toBe(true);
    expect(Buffer.byteLength(result.summary)).toBeLessThanOrEqual(200);
    const shown = result.summary.slice("exit 0\n".length, result.summary.indexOf("…"));
    expect(shown).toMatch(/^x+$/);
    expect(result.summary.endsWith(`…[truncated ${100000 - shown.length} bytes]`)).toBe(true);
  });

  it("drains a flood of output without blocking the command", async () => {
    const result = await handler.run(
      node("for (let i = 0; i < 2000; i++) process.stdout.write('y'.repeat(10000) + '\\n')"),
      context(),
    );
    expect(result.ok).toBe(true);
    expect(result.summary).toContain(`…[truncated`);
  });

  it("reports a command that cannot be started as a failure", async () => {
    const uncapped = createScriptHandler({
      allowList: ["chronoring-no-such-command"],
      memoryMb: 0,
    });
    const result = await uncapped.run(
      { type: "script", command: "chronoring-no-such-command", args: [], env: {}, timeoutMs: 1000 },
      context(),
    );
    expect(result.ok).toBe(false);
    // Spawned directly: ENOENT; through setpriv (Linux): the wrapper exits 127.
    expect(result.summary).toMatch(/ENOENT|exit 127/);
  });

  describe.skipIf(!hasPrlimit)("memory cap (prlimit --data)", () => {
    const hog = (memoryMb: number) =>
      createScriptHandler({ allowList: ["dd", NODE], memoryMb }).run(
        // dd allocates its whole block up front.
        {
          type: "script",
          command: "dd",
          args: ["if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"],
          env: {},
          timeoutMs: 10_000,
        },
        context(),
      );

    it("stops a process allocating beyond memoryMb", async () => {
      const result = await hog(64);
      expect(result.ok).toBe(false);
      expect(result.summary).toMatch(/^exit 1\n.*memory exhausted/s);
    });

    it("lets the same allocation run when the cap is 0 (disabled)", async () => {
      const result = await hog(0);
      expect(result.ok).toBe(true);
    });

    it("stops a node process whose allocations exceed the cap while node itself starts", async () => {
      // Node 24 itself needs about 580 MiB of RLIMIT_DATA (DEFAULT_SCRIPT_MEMORY_MB).
      const capped = createScriptHandler({ allowList: [NODE], memoryMb: 768 });
      const result = await capped.run(
        node(
          "console.log('started'); const keep = []; for (let i = 0; i < 10; i++) keep.push(Buffer.alloc(64 * 1024 * 1024, 1)); console.log('survived')",
        ),
        context(),
      );
      expect(result.ok).toBe(false);
      expect(result.summary).toContain("started");
      expect(result.summary).not.toContain("survived");
    });

    it("reports an allow-listed command missing from PATH through prlimit's exit 127", async () => {
      const capped = createScriptHandler({ allowList: ["chronoring-no-such-command"] });
      const result = await capped.run(
        {
          type: "script",
          command: "chronoring-no-such-command",
          args: [],
          env: {},
          timeoutMs: 1000,
        },
        context(),
      );
      expect(result.ok).toBe(false);
      expect(result.summary).toMatch(
        /^exit 127\nprlimit: failed to execute chronoring-no-such-command/,
      );
    });
  });
});
