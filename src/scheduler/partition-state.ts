import type { CheckedDeadlines } from "../core/claim-rules.js";
import type { KnownRuns, PassResult } from "./claimer.js";

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
  /**
   * Where this node's first sweep of the partition began: its sweeps have
   * checked the deadlines after it, up to the cursor (`checkedDeadlines`).
   * Infinite until that sweep ran.
   */
  checkedFromMs: number;
  /**
   * The partition's sweep mark as last read or recorded (`JobStore.sweptTo`);
   * undefined until the first sweep reads it.
   */
  markedMs: number | undefined;
  /** Records were left unwritten behind the cursor since the mark (`recordMayStay`). */
  unmarked: boolean;
  busy: boolean;
  /** The last pass over the due index read a full page of due runs: more are waiting. */
  backlog: boolean;
  /** When the HIGH lane reads this partition's HIGH runs next, while the partition is behind. */
  highAt: number;
  /** The HIGH lane is reading or claiming in it. */
  highBusy: boolean;
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
    checkedFromMs: Number.POSITIVE_INFINITY,
    markedMs: undefined,
    unmarked: false,
    busy: false,
    backlog: false,
    highAt: Number.NEGATIVE_INFINITY,
    highBusy: false,
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

/** The deadlines this node's sweeps of the partition checked (`recordReplaceable`); undefined: none yet. */
export function checkedDeadlines(st: PartitionState): CheckedDeadlines | undefined {
  return st.checkedFromMs < st.sweepCursor
    ? { fromMs: st.checkedFromMs, toMs: st.sweepCursor }
    : undefined;
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

/**
 * A job of the partition now runs next at `nextRunMs` (created, changed, or
 * claimed by another pass than the one under way): the next pass in time
 * reads the index (and the HIGH lane, if the partition is behind, its HIGH
 * index). Returns whether the next pass moved earlier.
 */
export function wakeAt(
  st: PartitionState,
  nextRunMs: number,
  now: number,
  lookaheadMs: number,
): boolean {
  // Poll when the run enters the look-ahead, unless a poll comes before that anyway.
  const at = Math.max(now, nextRunMs - lookaheadMs);
  st.wokenAt = Math.min(st.wokenAt, at);
  st.readAt = Math.min(st.readAt, at);
  st.highAt = Math.min(st.highAt, at);
  if (at >= st.nextPollAt) return false;
  st.nextPollAt = at;
  return true;
}

/** What plans a partition's next pass (see `afterPass`). */
export interface PassTiming {
  lookaheadMs: number;
  /** The longest pause between reads of the index. */
  pollBackstopMs: number;
  /** Passes over known runs start on a tick of this (0: none). */
  tickMs: number;
}

/**
 * Plans the next pass after one ended at `after`: the index is read again
 * after the poll backstop to find new jobs, before the known runs run out,
 * when a claimed job's next run enters the look-ahead, when a wake during
 * the pass asked for it, and at once for more or after a lost claim (what
 * was read is stale). Returns true when the pass left due runs unread in a
 * partition that had none (the HIGH lane has work).
 */
export function afterPass(
  st: PartitionState,
  result: PassResult,
  after: number,
  timing: PassTiming,
): boolean {
  const { lookaheadMs, tickMs } = timing;
  let readAt = result.read ? after + timing.pollBackstopMs : st.readAt;
  readAt = Math.min(
    readAt,
    // The first instant whose look-ahead reaches past what is known (at
    // `untilMs - lookaheadMs` the known runs still cover it: a read then
    // would find the same page, and plan the same read again at once).
    result.known.untilMs + 1 - lookaheadMs,
    (result.nextClaimedMs ?? Number.POSITIVE_INFINITY) - lookaheadMs,
    st.wokenAt,
  );
  if (result.more || result.lost > 0) readAt = after;
  const backlogBegins = result.read && result.more && !st.backlog;
  if (result.read) st.backlog = result.more;
  st.readAt = readAt;
  st.known = result.known;
  st.readLimit = result.readLimit;
  const firstKnown = (result.known.jobs[0]?.nextRunMs ?? Number.POSITIVE_INFINITY) - lookaheadMs;
  const onTick =
    tickMs > 0 && Number.isFinite(firstKnown)
      ? Math.ceil(firstKnown / tickMs) * tickMs
      : firstKnown;
  st.nextPollAt = Math.min(readAt, onTick);
  return backlogBegins;
}
