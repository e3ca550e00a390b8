import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createNoopHandler } from "../../../src/worker/handlers/noop.js";
import type { RunContext } from "../../../src/worker/handlers/registry.js";

function context(signal = new AbortController().signal): RunContext {
  return {
    executionId: "job_x:1000:1",
    jobId: "job_x",
    scheduledMs: 1000,
    attempt: 1,
    signal,
    logger: pino({ level: "silent" }),
  };
}

describe("noop handler", () => {
  const handler = createNoopHandler();

  it("waits sleepMs and succeeds", async () => {
    const started = performance.now();
    const result = await handler.run({ type: "noop", sleepMs: 50 }, context());
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(result).toEqual({ ok: true, summary: "slept 50 ms" });
  });

  it("stops early and fails when the run's signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const started = performance.now();
    const result = await handler.run({ type: "noop", sleepMs: 10_000 }, context(controller.signal));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/^aborted after \d+ ms of 10000 ms$/);
  });

  it("fails without waiting when the signal is already aborted", async () => {
    const result = await handler.run(
      { type: "noop", sleepMs: 10_000 },
      context(AbortSignal.abort()),
    );
    expect(result).toEqual({ ok: false, retryable: true, summary: "aborted before start" });
  });
});
