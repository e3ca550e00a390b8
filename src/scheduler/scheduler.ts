import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { createClaimer } from "./claimer.js";
import { createDispatcher } from "./dispatcher.js";
import type { SchedulerMetrics } from "./metrics.js";
import { createRecovery } from "./recovery.js";

export interface SchedulerOptions {
  lookaheadMs: number;
  pollIntervalMs: number;
  batchSize: number;
  startTimeoutMs: number;
  sweepIntervalMs: number;
  recoveryHorizonMs: number;
  concurrency: number;
}

interface PartitionState {
  partition: number;
  nextPollAt: number;
  nextSweepAt: number;
  /** Recovery deadlines up to here have been checked. */
  sweepCursor: number;
  busy: boolean;
}

export interface Scheduler {
  /** Sets the partitions this node fires; gained ones start, lost ones stop. */
  setPartitions(partitions: number[]): void;
  /** A job in `partition` now runs next at `nextRunMs` (created or changed in this process). */
  wake(partition: number, nextRunMs: number): void;
  /** Runs held until their time. */
  readonly held: number;
  /** Stops polling, sends what is already due and returns. */
  stop(): Promise<void>;
}

/**
 * Fires the runs of the partitions it is given. Each partition is polled on
 * its own schedule by a small pool of loops: claim what is due within the
 * look-ahead, hold it until its time, send it; and every sweep interval,
 * re-send what was claimed but never started.
 */
export function createScheduler(deps: {
  jobs: JobStore;
  executions: ExecutionStore;
  queue: WorkQueue;
  clock: Clock;
  logger: Logger;
  metrics: SchedulerMetrics;
  options: SchedulerOptions;
}): Scheduler {
  const { clock, logger, metrics, options } = deps;
  const dispatcher = createDispatcher({ ...deps });
  const claimer = createClaimer({ store: deps.jobs, dispatcher, ...deps });
  const recovery = createRecovery({ ...deps, startTimeoutMs: options.startTimeoutMs });
  const states = new Map<number, PartitionState>();
  let stopped = false;
  const sleepers = new Set<() => void>();
  const loops: Promise<void>[] = [];

  function nextReady(): PartitionState | undefined {
    let best: PartitionState | undefined;
    for (const st of states.values()) {
      if (st.busy) continue;
      const at = Math.min(st.nextPollAt, st.nextSweepAt);
      if (!best || at < Math.min(best.nextPollAt, best.nextSweepAt)) best = st;
    }
    return best;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  }

  function wakeAll(): void {
    for (const done of [...sleepers]) done();
  }

  async function work(st: PartitionState): Promise<void> {
    const now = clock.now();
    if (st.nextSweepAt <= now) {
      try {
        st.sweepCursor = await recovery.sweep(st.partition, st.sweepCursor);
      } catch (err) {
        metrics.loopErrors.inc({ loop: "sweep" });
        logger.warn({ err, partition: st.partition }, "recovery sweep failed; will retry");
      }
      st.nextSweepAt = clock.now() + options.sweepIntervalMs;
    }
    if (st.nextPollAt <= now) {
      try {
        const result = await claimer.pass(st.partition);
        const after = clock.now();
        // Come back at once for more, when the next known run enters the
        // look-ahead, or after the poll interval to find new jobs.
        st.nextPollAt = result.more
          ? after
          : Math.min(
              after + options.pollIntervalMs,
              (result.nextDueMs ?? Number.POSITIVE_INFINITY) - options.lookaheadMs,
            );
      } catch (err) {
        metrics.loopErrors.inc({ loop: "claim" });
        logger.warn({ err, partition: st.partition }, "claim pass failed; will retry");
        st.nextPollAt = clock.now() + options.pollIntervalMs;
      }
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      const st = nextReady();
      const wait = st
        ? Math.min(st.nextPollAt, st.nextSweepAt) - clock.now()
        : options.pollIntervalMs;
      if (!st || wait > 0) {
        await sleep(Math.max(1, Math.min(wait, options.pollIntervalMs)));
        continue;
      }
      st.busy = true;
      try {
        await work(st);
      } finally {
        st.busy = false;
      }
    }
  }

  for (let i = 0; i < options.concurrency; i++) loops.push(loop());

  return {
    setPartitions(partitions) {
      const wanted = new Set(partitions);
      for (const p of states.keys()) if (!wanted.has(p)) states.delete(p);
      const now = clock.now();
      for (const p of wanted) {
        if (states.has(p)) continue;
        states.set(p, {
          partition: p,
          nextPollAt: now,
          // Spread the sweeps over the interval.
          nextSweepAt:
            now +
            (Math.floor((p * options.sweepIntervalMs) / Math.max(1, wanted.size)) %
              options.sweepIntervalMs),
          sweepCursor: now - options.recoveryHorizonMs,
          busy: false,
        });
      }
      wakeAll();
    },
    wake(partition, nextRunMs) {
      const st = states.get(partition);
      if (!st) return;
      // Poll when the run enters the look-ahead, unless a poll comes before that anyway.
      const at = Math.max(clock.now(), nextRunMs - options.lookaheadMs);
      if (at >= st.nextPollAt) return;
      st.nextPollAt = at;
      wakeAll();
    },
    get held() {
      return dispatcher.pending;
    },
    async stop() {
      stopped = true;
      wakeAll();
      await Promise.all(loops);
      await dispatcher.close();
    },
  };
}
