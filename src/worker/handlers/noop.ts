/**
 * The noop handler: waits `sleepMs` and succeeds. Used to test scheduling and
 * worker capacity without touching anything outside the worker.
 */
import { type Clock, systemClock } from "../../core/clock.js";
import type { NoopTarget } from "../../core/job.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";

// Node timers turn delays beyond 2^31-1 ms into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

/** Its sleep runs on `clock` (default the system clock). */
export function createNoopHandler(clock: Clock = systemClock): JobHandler<NoopTarget> {
  return { type: "noop", run: (target, ctx) => runNoop(target, ctx, clock) };
}

async function runNoop(target: NoopTarget, ctx: RunContext, clock: Clock): Promise<HandlerResult> {
  if (target.type !== "noop") throw new TypeError(`noop handler got a ${target.type} target`);
  const ms = Math.min(Math.max(target.sleepMs, 0), MAX_TIMER_MS);
  if (ctx.signal.aborted) return { ok: false, summary: "aborted before start", retryable: true };
  const started = clock.now();
  try {
    await clock.sleep(ms, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) {
      const elapsed = Math.round(clock.now() - started);
      return { ok: false, summary: `aborted after ${elapsed} ms of ${ms} ms`, retryable: true };
    }
    throw err;
  }
  return { ok: true, summary: `slept ${ms} ms` };
}
