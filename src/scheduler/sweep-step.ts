import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { MAX_FLEXIBLE_WINDOW_MS } from "../core/schedule/flexible-window.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SchedulerMetrics } from "./metrics.js";
import {
  noteDeadlines,
  type PartitionState,
  planSweep,
  type SweepTiming,
  swept,
} from "./partition-state.js";
import type { Recovery } from "./recovery.js";
import type { SchedulerOptions } from "./scheduler-options.js";
import { createTakeoverHedge } from "./takeover.js";

/**
 * How far the sweep's cursor runs past the partition's recorded mark before
 * it is recorded again, while records are left behind it: a new owner's
 * first sweep reads about this much of them again (at a million schedules
 * firing 150 a second, some 45,000 records in all partitions, 175 in each),
 * for at most one write a partition in this time. At a minute, the marks
 * were 0.065 write units a fire in bench fire --recurring (118 fires a
 * second over 256 partitions).
 */
export const MARK_EVERY_MS = 300_000;

/** When sweeps may run: see `planSweep`. */
export function sweepTiming(options: SchedulerOptions): SweepTiming {
  return {
    sweepIntervalMs: options.sweepIntervalMs,
    sweepBackstopMs: Math.max(
      options.sweepIntervalMs,
      options.sweepBackstopMs ?? options.sweepIntervalMs,
    ),
  };
}

/**
 * The sweep step of the scheduler's loops: sweeps one partition and plans
 * its next sweep from the deadlines it learned.
 */
export function createSweepStep(deps: {
  jobs: Pick<JobStore, "getJob" | "sweptTo" | "recordSweptTo">;
  queue: Pick<WorkQueue, "send" | "depth">;
  dispatcher: Dispatcher;
  recovery: Recovery;
  clock: Clock;
  metrics: SchedulerMetrics;
  logger: Logger;
  options: SchedulerOptions;
}): (st: PartitionState) => Promise<void> {
  const { jobs, recovery, clock, metrics, logger, options } = deps;
  const timing = sweepTiming(options);
  const hedge = createTakeoverHedge({ ...deps, lostOwnerMs: options.lostOwnerMs ?? 5_000 });
  /**
   * The first sweep of a gained partition reads this far ahead: every
   * claim's deadline (a run with a flexible window counts from its planned
   * start, up to the longest window after its time).
   */
  const firstSweepAheadMs = options.startTimeoutMs + options.lookaheadMs + MAX_FLEXIBLE_WINDOW_MS;

  /**
   * The first sweep after a gain starts from the partition's mark (less a
   * start timeout, for clocks that differ) when one is recorded within the
   * recovery horizon: the records left behind it were checked.
   */
  async function readMark(st: PartitionState): Promise<void> {
    if (st.markedMs !== undefined) return;
    const mark = await jobs.sweptTo(st.partition);
    // With none recorded, the first is written a mark's interval from now,
    // as every later one: not at once in every partition of a new node.
    st.markedMs = mark ?? clock.now();
    if (mark !== undefined) {
      st.sweepCursor = Math.max(st.sweepCursor, mark - options.startTimeoutMs);
    }
  }

  /** Records the mark once the cursor ran far enough past it with records left behind. */
  async function recordMark(st: PartitionState): Promise<void> {
    if (!st.unmarked || st.sweepCursor - (st.markedMs ?? clock.now()) < MARK_EVERY_MS) return;
    const mark = st.sweepCursor;
    try {
      await jobs.recordSweptTo(st.partition, mark);
      st.markedMs = mark;
      st.unmarked = false;
    } catch (err) {
      // Only costs a new owner more reading: try again after the next sweep.
      logger.warn({ err, partition: st.partition }, "could not record the sweep mark");
    }
  }

  /**
   * The recovery sweep of one partition. The first after a gain reads the
   * deadlines ahead too (the old owner's claims, which this node cannot
   * know), and after a takeover sends the old owner's claimed runs again.
   */
  return async function sweep(st: PartitionState): Promise<void> {
    const startedAt = clock.now();
    try {
      await readMark(st);
      // The first sweep after the gain reads from here: what this node checks begins here.
      if (st.firstSweep) st.checkedFromMs = st.sweepCursor;
      const result = await recovery.sweep(
        st.partition,
        st.sweepCursor,
        st.firstSweep ? firstSweepAheadMs : 0,
      );
      if (st.takeover) await hedge.hedge(st.partition, result.unstarted);
      st.sweepCursor = result.cursor;
      if (result.left > 0) st.unmarked = true;
      await recordMark(st);
      swept(st, startedAt, clock.now());
      noteDeadlines(st, result.deadlines, timing);
    } catch (err) {
      metrics.loopErrors.inc({ loop: "sweep" });
      logger.warn({ err, partition: st.partition }, "recovery sweep failed; will retry");
      st.lastSweepAt = clock.now();
      // Its deadlines are still due: the next try comes a sweep interval on.
      st.deadlines.add(st.lastSweepAt);
    }
    planSweep(st, timing);
  };
}
