/**
 * Counts this worker's starts per tenant and minute in memory and adds them
 * to the store every `flushMs` (GetFireStats reads them). A flush writes one
 * item per tenant and minute that saw starts since the last one, however many
 * runs started: the cost does not grow with the fire rate.
 */

import type { Logger } from "pino";
import { type Clock, every } from "../core/clock.js";
import { latenessOf, type RunRef } from "../core/execution.js";
import { countStart, emptyCounts, mergeCounts, minuteOf } from "../core/fire-stats.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { FireStatsDelta, FireStatsStore } from "../core/ports/fire-stats-store.js";
import type { RunLimits } from "../core/ports/run-limits.js";

/** Counts kept for a later flush while the store refuses them, at most this old. */
const KEEP_UNFLUSHED_MS = 3600_000;

export interface FireStatsRecorder {
  /** Counts a run this worker started at `startedMs` (a backfill's run is not counted: `latenessOf`). */
  started(run: RunRef, startedMs: number): void;
  /** Writes what was counted since the last flush; what fails is kept for the next. */
  flush(): Promise<void>;
  /** Stops the timer and flushes once more. */
  stop(): Promise<void>;
}

export function startFireStatsRecorder(deps: {
  store: FireStatsStore;
  clock: Clock;
  logger: Logger;
  flushMs: number;
}): FireStatsRecorder {
  let pending = new Map<string, FireStatsDelta>();
  const deltaOf = (tenant: string, minuteMs: number): FireStatsDelta => {
    const key = `${minuteMs}\n${tenant}`;
    let delta = pending.get(key);
    if (!delta) {
      delta = { tenant, minuteMs, counts: emptyCounts() };
      pending.set(key, delta);
    }
    return delta;
  };
  let flushing: Promise<void> | undefined;

  const flushOnce = async () => {
    const batch = [...pending.values()];
    pending = new Map();
    const failed: FireStatsDelta[] = [];
    await Promise.all(
      batch.map((delta) =>
        deps.store.add(delta).catch((err: unknown) => {
          failed.push(delta);
          deps.logger.warn({ err: String(err) }, "fire stats not written; kept for the next flush");
        }),
      ),
    );
    // Counts of a store that stays down are only statistics: old ones are let go.
    const oldest = minuteOf(deps.clock.now() - KEEP_UNFLUSHED_MS);
    for (const delta of failed) {
      if (delta.minuteMs >= oldest)
        mergeCounts(deltaOf(delta.tenant, delta.minuteMs).counts, delta.counts);
    }
  };

  const flush = async () => {
    // One flush at a time, so that a slow one is not overtaken (and its failures not lost).
    while (flushing) await flushing;
    flushing = flushOnce().finally(() => {
      flushing = undefined;
    });
    await flushing;
  };

  const timer = every(deps.clock, deps.flushMs, () => void flush(), { unref: true });

  return {
    started(run, startedMs) {
      const late = latenessOf(run, startedMs);
      if (late === undefined) return;
      countStart(deltaOf(run.tenant, minuteOf(startedMs)).counts, run.attempt, late);
    },
    flush,
    async stop() {
      timer.cancel();
      await flush();
    },
  };
}

/**
 * The worker's two ways of starting a run, counting each start the store
 * recorded: a plain start (`ExecutionStore.startExecution`) and one under a
 * job's limits (`RunLimits.start`). The worker itself is unchanged. A
 * backfill's runs are not counted: they are of past times by design, and
 * their lateness would drown the scheduler's.
 */
export function countingStarts(
  stores: { executions: ExecutionStore; limits: RunLimits },
  recorder: Pick<FireStatsRecorder, "started">,
): { executions: ExecutionStore; limits: RunLimits } {
  const { executions, limits } = stores;
  return {
    executions: {
      ...executions,
      async startExecution(run, workerId, startedMs, options) {
        const outcome = await executions.startExecution(run, workerId, startedMs, options);
        if (outcome === "started") recorder.started(run, startedMs);
        return outcome;
      },
    },
    limits: {
      ...limits,
      async start(run, workerId, nowMs, queuedMs, seen, rate, inherited, wait) {
        const outcome = await limits.start(
          run,
          workerId,
          nowMs,
          queuedMs,
          seen,
          rate,
          inherited,
          wait,
        );
        if (outcome === "started") recorder.started(run, nowMs);
        return outcome;
      },
    },
  };
}
