/**
 * The noop handler: waits `sleepMs` and succeeds. Used to test scheduling and
 * worker capacity without touching anything outside the worker.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { NoopTarget } from "../../core/job.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";

// Node timers turn delays beyond 2^31-1 ms into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

export function createNoopHandler(): JobHandler<NoopTarget> {
  return { type: "noop", run: runNoop };
}

async function runNoop(target: NoopTarget, ctx: RunContext): Promise<HandlerResult> {
  if (target.type !== "noop") throw new TypeError(`noop handler got a ${target.type} target`);
  const ms = Math.min(Math.max(target.sleepMs, 0), MAX_TIMER_MS);
  if (ctx.signal.aborted) return { ok: false, summary: "aborted before start", retryable: true };
  const started = performance.now();
  try {
    await sleep(ms, undefined, { signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) {
      const elapsed = Math.round(performance.now() - started);
      return { ok: false, summary: `aborted after ${elapsed} ms of ${ms} ms`, retryable: true };
    }
    throw err;
  }
  return { ok: true, summary: `slept ${ms} ms` };
}
