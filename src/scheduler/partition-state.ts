import type { KnownRuns } from "./claimer.js";

/** What the scheduler's loops know of one partition this node fires. */
export interface PartitionState {
  partition: number;
  epoch: number | undefined;
  /** The fence is recorded in the store (or not needed). */
  fenced: boolean;
  /** A newer owner fenced this partition: stop until the assignment changes. */
  stale: boolean;
  /** The next pass, reading the index or claiming from `known`. */
  nextPollAt: number;
  /** When the next pass must read the index (poll interval, a wake, a claimed job's next run). */
  readAt: number;
  /** Runs read beyond the last pass's look-ahead. */
  known: KnownRuns | undefined;
  /** The earliest read asked for by `wake` since the last pass began. */
  wokenAt: number;
  nextSweepAt: number;
  /** Recovery deadlines up to here have been checked. */
  sweepCursor: number;
  busy: boolean;
}

/**
 * A partition just gained: polled at once; its first sweep looks back over
 * the recovery horizon, at a time spread over the sweep interval so that
 * the partitions of a node do not all sweep together.
 */
export function newPartitionState(
  gained: { partition: number; epoch: number | undefined; owned: number },
  now: number,
  options: { sweepIntervalMs: number; recoveryHorizonMs: number },
): PartitionState {
  const { partition, epoch, owned } = gained;
  return {
    partition,
    epoch,
    fenced: epoch === undefined,
    stale: false,
    nextPollAt: now,
    readAt: now,
    known: undefined,
    wokenAt: Number.POSITIVE_INFINITY,
    nextSweepAt:
      now +
      (Math.floor((partition * options.sweepIntervalMs) / Math.max(1, owned)) %
        options.sweepIntervalMs),
    sweepCursor: now - options.recoveryHorizonMs,
    busy: false,
  };
}

/** The partition whose next pass or sweep comes first, among those no loop holds. */
export function nextReady(states: Iterable<PartitionState>): PartitionState | undefined {
  let best: PartitionState | undefined;
  for (const st of states) {
    if (st.busy || st.stale) continue;
    const at = Math.min(st.nextPollAt, st.nextSweepAt);
    if (!best || at < Math.min(best.nextPollAt, best.nextSweepAt)) best = st;
  }
  return best;
}
