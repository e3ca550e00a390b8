import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { Claim, DueJob, Fence, JobStore } from "../core/ports/job-store.js";
import type { OutgoingRun } from "../core/ports/work-queue.js";
import { nextRunAfter } from "../core/schedule/index.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SchedulerMetrics } from "./metrics.js";

export interface ClaimerOptions {
  lookaheadMs: number;
  batchSize: number;
  startTimeoutMs: number;
}

/** What one pass over a partition found. */
export interface PassResult {
  claimed: number;
  /** A full page of claimable runs came back: more may be due, pass again at once. */
  more: boolean;
  /** The earliest next run seen beyond the look-ahead, if any. */
  nextDueMs?: number;
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
}) {
  const { store, dispatcher, clock, metrics, options } = deps;

  function claimFor(job: DueJob, now: number): Claim {
    // Keep a pending recovery deadline, even one just due: older runs wait
    // on it, and moving it later at every claim would starve the sweep of a
    // job claimed every second. Only one older than a whole start timeout is
    // taken as stale (left behind by a finished job that was reactivated) and
    // replaced; replacing never loses a run, the sweep checks the whole record.
    const own = job.nextRunMs + options.startTimeoutMs;
    const pending = job.recoverAtMs;
    const recoverAtMs =
      pending !== undefined && pending > now - options.startTimeoutMs
        ? Math.min(pending, own)
        : own;
    return { job, nextRunMs: nextRunAfter(job.schedule, job.nextRunMs), recoverAtMs };
  }

  return {
    /** With a fence, a stale owner's pass throws StaleOwnerError and claims nothing. */
    async pass(partition: number, fence?: Fence): Promise<PassResult> {
      const now = clock.now();
      const horizon = now + options.lookaheadMs;
      // Read the earliest runs with no upper bound: the first one beyond the
      // look-ahead tells when this partition next has work.
      const read = await store.dueJobs(partition, Number.MAX_SAFE_INTEGER, options.batchSize);
      const due = read.filter((job) => job.nextRunMs <= horizon);
      const beyond = read.find((job) => job.nextRunMs > horizon);
      const result: PassResult = { claimed: 0, more: false };
      if (beyond) result.nextDueMs = beyond.nextRunMs;
      if (due.length === 0) {
        metrics.lag.set({ partition: String(partition) }, 0);
        return result;
      }
      metrics.lag.set(
        { partition: String(partition) },
        Math.max(0, now - due[0]!.nextRunMs) / 1000,
      );
      const claims = due.map((job) => claimFor(job, now));
      const won = await store.claimRuns(claims, fence);
      const runs: OutgoingRun[] = [];
      won.forEach((ok, i) => {
        if (!ok) return;
        const { job } = claims[i]!;
        runs.push({
          jobId: job.id,
          partition: job.partition,
          scheduledMs: job.nextRunMs,
          attempt: 1,
          manual: false,
          ...(job.target ? { target: job.target } : {}),
          ...(job.notify ? { notify: true } : {}),
        });
      });
      metrics.claimed.inc(runs.length);
      metrics.claimsLost.inc(due.length - runs.length);
      dispatcher.hold(runs);
      result.claimed = runs.length;
      result.more = due.length >= options.batchSize;
      return result;
    },
  };
}

export type Claimer = ReturnType<typeof createClaimer>;
