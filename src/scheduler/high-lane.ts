import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { StaleOwnerError } from "../core/errors.js";
import type { Fence } from "../core/ports/job-store.js";
import type { HighPassResult } from "./claimer.js";
import type { SchedulerMetrics } from "./metrics.js";
import { noteDeadlines, type PartitionState, type SweepTiming, wakeAt } from "./partition-state.js";

/**
 * A partition is behind when its pass is a fifth of the look-ahead late
 * (all loops busy, or a pass over a long page under way; at least 100 ms),
 * or when its last pass left due runs unread. Short of that, its HIGH runs
 * are claimed by its passes, HIGH first, still most of a look-ahead early.
 */
export function behindMs(lookaheadMs: number): number {
  return Math.max(100, Math.floor(lookaheadMs / 5));
}

/**
 * Loops of the lane. A HIGH pass is one read and a few claims, but a burst
 * leaves every partition behind at once, and each partition must be read:
 * with 2 loops, 50 partitions with a HIGH run due took 8 s on a loaded
 * store (300 ms a pass), past the look-ahead.
 */
const LANE_LOOPS = 8;

/**
 * The HIGH lane: while a partition is behind (a burst: more due runs than
 * a page, or every loop busy), a few loops of their own read its HIGH runs
 * from the HIGH index and claim those due within the look-ahead, so that a
 * HIGH run waits neither for the runs of its partition that sort before it
 * nor for the other partitions' passes. A partition on time costs the lane
 * nothing: its passes read its HIGH runs with the rest and claim them first.
 * Its claims do not pass through the claim gate (claim-gate.ts).
 *
 * A claim here is the same compare-and-set as a pass's (under the
 * partition's fence): the lane and a pass racing for one run make one claim
 * and one lost claim, after which the pass reads the index again.
 */
export function createHighLane(deps: {
  claimer: { highPass(partition: number, fence?: Fence): Promise<HighPassResult> };
  clock: Clock;
  metrics: SchedulerMetrics;
  logger: Logger;
  options: { lookaheadMs: number; pollBackstopMs: number; retryMs: number };
  timing: SweepTiming;
  states: () => Iterable<PartitionState>;
  fenceOf: (st: PartitionState) => Fence | undefined;
  canClaim: () => boolean;
  tracked: <T>(call: () => Promise<T>) => Promise<T>;
  onStale: (st: PartitionState) => void;
  /** A wait that the scheduler's wake cuts short. */
  sleep: (ms: number) => Promise<void>;
  stopped: () => boolean;
}) {
  const { clock, metrics, logger, options } = deps;
  const behind = behindMs(options.lookaheadMs);

  /** When the lane may next have work in `st`. */
  function dueAt(st: PartitionState): number {
    if (st.stale || !st.fenced) return Number.POSITIVE_INFINITY;
    return st.backlog ? st.highAt : Math.max(st.highAt, st.nextPollAt + behind);
  }

  async function highPass(st: PartitionState): Promise<void> {
    const now = clock.now();
    try {
      const result = await deps.tracked(() =>
        deps.claimer.highPass(st.partition, deps.fenceOf(st)),
      );
      const after = clock.now();
      st.highAt =
        result.more || result.lost > 0
          ? after
          : Math.min(result.nextHighMs - options.lookaheadMs, after + options.pollBackstopMs);
      if (result.claimedIds.length > 0 && st.known) {
        // What the passes read of these jobs is stale: each has moved on.
        const claimed = new Set(result.claimedIds);
        st.known = { ...st.known, jobs: st.known.jobs.filter((j) => !claimed.has(j.id)) };
      }
      // The index has the claimed jobs' next runs; the partition's passes do not.
      if (result.nextClaimedMs !== undefined) {
        wakeAt(st, result.nextClaimedMs, after, options.lookaheadMs);
      }
      noteDeadlines(st, result.deadlines, deps.timing);
    } catch (err) {
      if (err instanceof StaleOwnerError) {
        deps.onStale(st);
        return;
      }
      metrics.loopErrors.inc({ loop: "high" });
      logger.warn({ err, partition: st.partition }, "HIGH pass failed; will retry");
      st.highAt = now + options.retryMs;
    }
  }

  async function loop(): Promise<void> {
    while (!deps.stopped()) {
      const now = clock.now();
      let next: PartitionState | undefined;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const st of deps.states()) {
        if (st.highBusy) continue;
        const at = dueAt(st);
        if (at < nextAt) {
          next = st;
          nextAt = at;
        }
      }
      if (!next || nextAt > now) {
        await deps.sleep(Math.max(1, Math.min(nextAt - now, options.pollBackstopMs)));
        continue;
      }
      if (!deps.canClaim()) {
        // Not a live member: nothing is claimed until the session is back.
        await deps.sleep(options.retryMs);
        continue;
      }
      next.highBusy = true;
      try {
        await highPass(next);
      } finally {
        next.highBusy = false;
      }
    }
  }

  return {
    /** Starts the lane's loops; they end when `stopped()` turns true and a wake comes. */
    start(): Promise<void>[] {
      return Array.from({ length: LANE_LOOPS }, () => loop());
    },
  };
}
