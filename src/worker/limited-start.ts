import type { Clock } from "../core/clock.js";
import {
  executionId,
  type RunRef,
  type RunWait,
  type StartReads,
  waitAtStart,
} from "../core/execution.js";
import type { JobLimits } from "../core/job.js";
import { decideStart } from "../core/limits.js";
import type { StartOutcome } from "../core/ports/execution-store.js";
import type { RunLimits } from "../core/ports/run-limits.js";
import { type RetrySchedule, retry } from "../core/retry.js";

/** What became of a run of a job with limits when a worker tried to start it. */
export type LimitedStart =
  | { kind: StartOutcome }
  /** Not yet: recorded QUEUED with the reason; deliver it again at `untilMs`. */
  | { kind: "waiting"; untilMs: number; reason: string }
  /** Dropped by the overlap policy; recorded SKIPPED. */
  | { kind: "skipped"; reason: string };

export interface LimitedStartDeps {
  limits: RunLimits;
  clock: Clock;
  /** How soon a run waiting for a free slot looks again. */
  retryMs: number;
  /** A waiting run not started this long after its retry time is re-sent by the recovery sweep. */
  startTimeoutMs: number;
  /** How often a run whose job cancels previous runs checks for a cancel request. */
  cancelCheckMs?: number;
}

/**
 * Rounds of read, decide, conditional write while the job's counters move
 * under it: eight, no pause (the worker that moved them has written, so the
 * next read sees it); then the run is left for redelivery.
 */
const LIMIT_ROUNDS: RetrySchedule = { attempts: 8, baseMs: 0, maxMs: 0 };

/** A round's conditional write lost to another worker's: read and decide again. */
class CountersMoved extends Error {}

/**
 * Starts `run` under its job's limits: reads the job's counters, decides
 * (`core/limits.ts`), and writes the decision conditionally on what it read;
 * a write that lost to another worker's reads and decides again.
 */
export async function startUnderLimits(
  deps: LimitedStartDeps,
  run: RunRef,
  limits: JobLimits,
  workerId: string,
  queuedMs: number | undefined,
  /** Receives a re-queued attempt's inherited checkpoint when the run starts. */
  inherited?: StartReads,
  /** The run was held back before (its message carried the wait): recorded by the start. */
  wait?: RunWait,
): Promise<LimitedStart> {
  const id = executionId(run);
  const allowed = run.manual ? ["ACTIVE", "FINISHED", "PAUSED"] : ["ACTIVE", "FINISHED"];
  const round = async (): Promise<LimitedStart> => {
    const seen = await deps.limits.read(run.jobId);
    if (!seen || !allowed.includes(seen.status)) return { kind: "job_inactive" };
    const now = deps.clock.now();
    const decision = decideStart(limits, seen.state, id, now, deps.retryMs);
    if (decision.kind === "start") {
      const rate =
        decision.rateWindow === undefined
          ? {}
          : { window: decision.rateWindow, count: decision.rateCount ?? 1 };
      const waited = waitAtStart(wait, now);
      const outcome = await deps.limits.start(
        run,
        workerId,
        now,
        queuedMs,
        seen,
        rate,
        inherited,
        waited,
      );
      if (outcome === "conflict") throw new CountersMoved();
      return { kind: outcome };
    }
    if (decision.kind === "skip") {
      const recorded = await deps.limits.skip(run, decision.reason, now);
      return recorded ? { kind: "skipped", reason: decision.reason } : { kind: "duplicate" };
    }
    if (decision.kind === "cancel_previous") {
      await deps.limits.requestCancel(decision.ids, `cancelled by a newer run, ${id}`);
    }
    const buffer = decision.kind === "wait" && decision.buffer;
    const recheckAt = decision.untilMs + deps.startTimeoutMs;
    const outcome = await deps.limits.wait(run, decision.reason, recheckAt, seen, buffer);
    if (outcome === "conflict") throw new CountersMoved();
    if (outcome === "duplicate") return { kind: "duplicate" };
    return { kind: "waiting", untilMs: decision.untilMs, reason: decision.reason };
  };
  return retry(LIMIT_ROUNDS, round, deps.clock, {
    retryable: (err) => err instanceof CountersMoved,
  }).catch((err: unknown) => {
    if (!(err instanceof CountersMoved)) throw err;
    // Heavy contention on one job: leave the message for redelivery.
    throw new Error(
      `job ${run.jobId}: limit counters changed ${LIMIT_ROUNDS.attempts} times while starting`,
    );
  });
}
