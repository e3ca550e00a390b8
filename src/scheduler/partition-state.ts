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
  /** When the next pass must read the index (poll backstop, a wake, a claimed job's next run). */
  readAt: number;
  /** Runs read beyond the last pass's look-ahead. */
  known: KnownRuns | undefined;
  /** How many runs the next index read asks for (see `PassResult.readLimit`). */
  readLimit: number;
  /** The earliest read asked for by `wake` since the last pass began. */
  wokenAt: number;
  nextSweepAt: number;
  /** When the last sweep ran (a sweep waits at least the sweep interval after it). */
  lastSweepAt: number;
  /**
   * Recovery deadlines this node knows of (its own claims', those its sweeps
   * wrote or read), each rounded up to the sweep interval: a sweep is due at
   * the earliest.
   */
  deadlines: Set<number>;
  /** The first sweep after the gain: it reads ahead for the deadlines it cannot know. */
  firstSweep: boolean;
  /** Gained from a node that left: the first sweep sends its claimed runs again. */
  takeover: boolean;
  /** Recovery deadlines up to here have been checked. */
  sweepCursor: number;
  busy: boolean;
}

export interface SweepTiming {
  sweepIntervalMs: number;
  /** The longest pause between two sweeps of a partition. */
  sweepBackstopMs: number;
}

/**
 * A partition just gained: polled and swept at once; the first sweep looks
 * back over the recovery horizon (and ahead, see `Recovery.sweep`).
 */
export function newPartitionState(
  gained: { partition: number; epoch: number | undefined; takeover?: boolean },
  now: number,
  options: { recoveryHorizonMs: number; batchSize: number },
): PartitionState {
  const { partition, epoch } = gained;
  return {
    partition,
    epoch,
    fenced: epoch === undefined,
    stale: false,
    nextPollAt: now,
    readAt: now,
    known: undefined,
    readLimit: options.batchSize,
    wokenAt: Number.POSITIVE_INFINITY,
    nextSweepAt: now,
    lastSweepAt: Number.NEGATIVE_INFINITY,
    deadlines: new Set(),
    firstSweep: true,
    takeover: gained.takeover ?? false,
    sweepCursor: now - options.recoveryHorizonMs,
    busy: false,
  };
}

/**
 * Records deadlines the partition's sweep must look at, rounded up to the
 * sweep interval (sweeps are that far apart at the closest anyway, so a
 * partition claiming every second keeps a handful of entries), and moves the
 * next sweep earlier if one of them comes first.
 */
export function noteDeadlines(st: PartitionState, deadlines: number[], timing: SweepTiming): void {
  if (deadlines.length === 0) return;
  const step = timing.sweepIntervalMs;
  for (const ms of deadlines) st.deadlines.add(step > 0 ? Math.ceil(ms / step) * step : ms);
  planSweep(st, timing);
}

/**
 * The next sweep: at the earliest known deadline, at the latest the sweep
 * backstop after the last one (deadlines written by others: a TriggerJob
 * whose send failed, a redriven dead run), and never sooner than the sweep
 * interval after the last one.
 */
export function planSweep(st: PartitionState, timing: SweepTiming): void {
  let earliest = st.lastSweepAt + timing.sweepBackstopMs;
  for (const ms of st.deadlines) earliest = Math.min(earliest, ms);
  st.nextSweepAt = Math.max(st.lastSweepAt + timing.sweepIntervalMs, earliest);
}

/** A sweep that read up to `sweptTo` ran: the deadlines up to there are done. */
export function swept(st: PartitionState, sweptTo: number, at: number): void {
  for (const ms of st.deadlines) if (ms <= sweptTo) st.deadlines.delete(ms);
  st.lastSweepAt = at;
  st.firstSweep = false;
  st.takeover = false;
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
