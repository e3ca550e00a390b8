import type { Logger } from "pino";
import type { CheckedDeadlines } from "../core/claim-rules.js";
import type { Clock } from "../core/clock.js";
import type { DueJob, Fence, JobStore } from "../core/ports/job-store.js";
import type { SpreadMemory } from "../core/window-spread.js";
import type { CalendarCache } from "./calendar-cache.js";
import { createDueClaims } from "./claim-due.js";
import type { ClaimGate } from "./claim-gate.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SchedulerMetrics } from "./metrics.js";

export interface ClaimerOptions {
  lookaheadMs: number;
  /** A read asks for the runs up to this far beyond its look-ahead, and one more. */
  pollIntervalMs: number;
  batchSize: number;
  startTimeoutMs: number;
}

/**
 * Runs of a partition read from the due index beyond a pass's look-ahead:
 * complete up to `untilMs` (infinite when the read reached the partition's
 * last run), so a later pass can claim from them without reading again (each
 * claim is still conditional on what was read).
 */
export interface KnownRuns {
  jobs: DueJob[];
  untilMs: number;
}

/** What one pass over a partition found. */
export interface PassResult {
  claimed: number;
  /** A full page of claimable runs came back: more may be due, pass again at once. */
  more: boolean;
  /** The pass read the due index (rather than claiming from known runs). */
  read: boolean;
  /** Runs beyond this pass's look-ahead, for the next passes. */
  known: KnownRuns;
  /** The earliest next run of a job this pass claimed: the index has it, the known runs do not. */
  nextClaimedMs?: number;
  /** Claims that lost their condition: the job changed since it was read. */
  lost: number;
  /** The recovery deadlines the won claims recorded. */
  deadlines: number[];
  /** How many runs the next read asks for. */
  readLimit: number;
}

/** The fewest runs a read asks for: the window's and a few beyond. */
const MIN_READ = 4;

/** HIGH runs one read of the HIGH index asks for (a full page of due ones reads again at once). */
export const HIGH_READ = 16;

/** What one HIGH pass over a partition found (see `Claimer.highPass`). */
export interface HighPassResult {
  claimed: number;
  lost: number;
  /** A full page of due HIGH runs came back: pass again at once. */
  more: boolean;
  /** The earliest HIGH run beyond the look-ahead (infinite: none, as far as the read reached). */
  nextHighMs: number;
  /** Jobs whose run this pass claimed (the partition's known runs of them are stale). */
  claimedIds: string[];
  /** The earliest next run of a job this pass claimed. */
  nextClaimedMs?: number;
  /** The recovery deadlines the won claims recorded. */
  deadlines: number[];
}

/**
 * One pass over one partition: reads what is due up to the look-ahead from
 * the due index, claims each run by compare-and-set on the job's next run
 * (the claim recorded in the same write), and hands the runs it won to the
 * dispatcher. Pure of timers and loops so that a test can drive it.
 */
export function createClaimer(deps: {
  store: JobStore;
  dispatcher: Dispatcher;
  clock: Clock;
  metrics: SchedulerMetrics;
  logger: Logger;
  options: ClaimerOptions;
  /** Calendars of jobs that name one; without it no date is excluded. */
  calendars?: CalendarCache;
  /** Bounds the claims of lower priorities in flight (absent: unbounded). */
  claimGate?: ClaimGate;
  /**
   * What this node planned in flexible windows: one for all its partitions
   * (see `window-spread.ts`); absent: a fresh one.
   */
  spread?: SpreadMemory;
  /** The deadlines this node's sweeps checked in a partition (see `createDueClaims`). */
  checked?: (partition: number) => CheckedDeadlines | undefined;
}) {
  const { store, clock, metrics, options } = deps;

  const { claimDue } = createDueClaims(deps);

  return {
    /**
     * With a fence, a stale owner's pass throws StaleOwnerError once a claim
     * is refused by a newer owner's fence; the runs it won before that (jobs
     * the newer owner had not claimed on) are sent first.
     */
    async pass(
      partition: number,
      fence?: Fence,
      known?: KnownRuns,
      readLimit = options.batchSize,
    ): Promise<PassResult> {
      const now = clock.now();
      const horizon = now + options.lookaheadMs;
      let read: DueJob[];
      let untilMs: number;
      let nextLimit = readLimit;
      let highBeyondPage: DueJob[] = [];
      const fromIndex = !known || known.untilMs < horizon;
      if (!fromIndex) {
        ({ jobs: read, untilMs } = known);
      } else {
        // The earliest runs of the partition, however far ahead: what is
        // due, what the next passes claim, and at least one run beyond, which
        // tells when the partition next has work (an idle partition whose
        // next run is in 3 h is not read again before then). The limit
        // follows what the last read found up to a poll interval beyond the
        // look-ahead, plus a few, so that a read costs about its window.
        read = await store.dueJobs(partition, FAR_MS, readLimit);
        const full = read.length >= readLimit;
        // A full page ends anywhere: only what is before its last run is complete.
        untilMs = full ? read[read.length - 1]!.nextRunMs - 1 : Number.POSITIVE_INFINITY;
        const window = read.filter((j) => j.nextRunMs <= horizon + options.pollIntervalMs).length;
        nextLimit =
          full && window >= read.length
            ? options.batchSize
            : Math.min(options.batchSize, Math.max(MIN_READ, window + 2));
        // A page of due runs that goes on past it (a burst): the HIGH ones
        // among the rest come first, from the HIGH index (one more read, in
        // a backlog only).
        if (full && untilMs < horizon) {
          const seen = new Set(read.map((j) => j.id));
          const high = await store.dueJobs(partition, horizon, HIGH_READ, "HIGH");
          highBeyondPage = high.filter((j) => !seen.has(j.id));
        }
      }
      metrics.passes.inc({ source: fromIndex ? "index" : "known" });
      const inPage = read.filter((job) => job.nextRunMs <= horizon);
      const due = [...highBeyondPage, ...inPage];
      const result: PassResult = {
        claimed: 0,
        more: false,
        read: fromIndex,
        known: {
          jobs: read.filter((job) => job.nextRunMs > horizon && job.nextRunMs <= untilMs),
          untilMs,
        },
        lost: 0,
        deadlines: [],
        readLimit: nextLimit,
      };
      metrics.lag.set(
        { partition: String(partition) },
        due.length === 0 ? 0 : Math.max(0, now - (inPage[0] ?? due[0]!).nextRunMs) / 1000,
      );
      if (due.length === 0) return result;
      const claimed = await claimDue(due, fence, now);
      result.claimed = claimed.claimed;
      result.lost = claimed.lost;
      result.deadlines = claimed.deadlines;
      if (claimed.nextClaimedMs !== undefined) result.nextClaimedMs = claimed.nextClaimedMs;
      result.more = fromIndex && inPage.length >= readLimit;
      if (claimed.stale) throw claimed.stale;
      return result;
    },

    /**
     * A pass over the partition's HIGH runs alone (the HIGH index): claims
     * those due within the look-ahead, and tells when the next one is. For a
     * partition whose passes over the due index lag behind a backlog, so
     * that a HIGH run waits for no lower one. Throws StaleOwnerError as
     * `pass` does.
     */
    async highPass(partition: number, fence?: Fence): Promise<HighPassResult> {
      const now = clock.now();
      const horizon = now + options.lookaheadMs;
      const read = await store.dueJobs(partition, FAR_MS, HIGH_READ, "HIGH");
      metrics.passes.inc({ source: "high" });
      const due = read.filter((job) => job.nextRunMs <= horizon);
      const beyond = read.find((job) => job.nextRunMs > horizon);
      const claimed = await claimDue(due, fence, now);
      if (claimed.stale) throw claimed.stale;
      return {
        claimed: claimed.claimed,
        lost: claimed.lost,
        more: due.length >= HIGH_READ,
        nextHighMs: beyond?.nextRunMs ?? Number.POSITIVE_INFINITY,
        claimedIds: claimed.claimedIds,
        ...(claimed.nextClaimedMs !== undefined ? { nextClaimedMs: claimed.nextClaimedMs } : {}),
        deadlines: claimed.deadlines,
      };
    },
  };
}

export type Claimer = ReturnType<typeof createClaimer>;

/** The upper end of a due-index read that goes on past its window. */
const FAR_MS = Number.MAX_SAFE_INTEGER;
