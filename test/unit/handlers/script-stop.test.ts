/** The script handler stops a command (and what it started) on timeout or abort: SIGTERM, then SIGKILL. */
import { describe, expect, it } from "vitest";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";
import { context, eventually, NODE, node, RUN_AS, running } from "./script-support.js";

describe("script handler: stopping a command", () => {
  // Default memory cap on: also proves that node starts under it.
  const handler = createScriptHandler({ allowList: [NODE, "dd"], user: RUN_AS });

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

  // A command that traps SIGTERM gets 1.5 s to start and set its trap, even on a loaded machine.
  it("escalates to SIGKILL after the grace period when SIGTERM is ignored", async () => {
    const quick = createScriptHandler({ allowList: [NODE], killGraceMs: 300, user: RUN_AS });
    const result = await quick.run(
      node("process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)", {
        timeoutMs: 1500,
      }),
      context(),
    );
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: "killed by SIGKILL (timed out after 1500 ms)\nready\n",
    });
  });

  it("uses the default 2 s grace before SIGKILL", async () => {
    const started = performance.now();
    const result = await handler.run(
      node("process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)", {
        timeoutMs: 1500,
      }),
      context(),
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(3400);
    expect(elapsed).toBeLessThan(6000);
    expect(result.summary).toBe("killed by SIGKILL (timed out after 1500 ms)\nready\n");
  }, 15_000);

  it("fails a command that traps SIGTERM and exits 0 on timeout", async () => {
    const result = await handler.run(
      node("process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)", {
        timeoutMs: 1500,
      }),
      context(),
    );
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: "exit 0 after SIGTERM (timed out after 1500 ms)",
    });
  });

  it("kills the processes the command started when it times out", async () => {
    const result = await handler.run(
      node(
        `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
         console.log(c.pid); setInterval(() => {}, 1000)`,
        { timeoutMs: 3_000 },
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
});
