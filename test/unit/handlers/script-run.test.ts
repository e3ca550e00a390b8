/** The script handler runs an allow-listed command without a shell and records its end and output. */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";
import { context, NODE, node, RUN_AS } from "./script-support.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chronoring-script-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("script handler: running a command", () => {
  // Default memory cap on: also proves that node starts under it.
  const handler = createScriptHandler({ allowList: [NODE, "dd"], user: RUN_AS });

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

  it("keeps the first maxOutputBytes of output and counts the dropped bytes", async () => {
    const small = createScriptHandler({ allowList: [NODE], maxOutputBytes: 200, user: RUN_AS });
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
      user: RUN_AS,
    });
    const result = await uncapped.run(
      { type: "script", command: "chronoring-no-such-command", args: [], env: {}, timeoutMs: 1000 },
      context(),
    );
    expect(result.ok).toBe(false);
    // Spawned directly: ENOENT; through setpriv (Linux): the wrapper exits 127.
    expect(result.summary).toMatch(/ENOENT|exit 127/);
  });
});
