import type { Logger } from "pino";
import { recoveryDeadline, runDeadline } from "../core/claim-rules.js";
import type { Clock } from "../core/clock.js";
import { StaleOwnerError } from "../core/errors.js";
import type { Claim, DueJob, Fence, JobStore } from "../core/ports/job-store.js";
import type { OutgoingRun } from "../core/ports/work-queue.js";
import { spendRuns } from "../core/run-budget.js";
import { runMessageFor } from "../core/run-message.js";
import { windowOf } from "../core/schedule/flexible-window.js";
import { type CatchUp, type FireContext, nextFire, planCatchUp } from "../core/schedule/index.js";
import { createSpreadMemory, planStarts, type SpreadMemory } from "../core/window-spread.js";
import { withJobFields } from "../core/with-job-fields.js";
import type { CalendarCache } from "./calendar-cache.js";
import { traceClaims } from "./claim-span.js";
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
  /**
   * What this node planned in flexible windows: one for all its partitions
   * (see `window-spread.ts`); absent: a fresh one.
   */
  spread?: SpreadMemory;
}) {
  const { store, dispatcher, clock, metrics, options, calendars } = deps;
  const spread = deps.spread ?? createSpreadMemory("standalone");

  function contextOf(job: DueJob): FireContext {
    const ctx: FireContext = { jobId: job.id };
    const name = job.schedule.calendar?.name;
    // The job's own tenant's calendar of that name (calendars are named per tenant).
    const calendar = name === undefined ? undefined : calendars?.get(job.tenant, name);
    if (calendar !== undefined) ctx.calendar = calendar;
    return ctx;
  }

  /**
   * The claim of a job's due run. A run more than the misfire threshold
   * late is caught up by the job's policy in the same conditional write:
   * the runs to fire now are recorded instead, the dropped ones counted.
   */
  function claimFor(job: DueJob, now: number, plannedMs: number | undefined): Claim {
    const ctx = contextOf(job);
    const plan = planCatchUp(job.schedule, job.nextRunMs, now, ctx);
    if (plan !== undefined) return withinBudget(catchUpClaim(job, plan, now));
    const run = { scheduledMs: job.nextRunMs, ...(plannedMs !== undefined && { plannedMs }) };
    const recoverAtMs = recoverAt(job, runDeadline(run, options.startTimeoutMs), now);
    const claim: Claim = {
      job,
      nextRunMs: nextFire(job.schedule, job.nextRunMs, ctx),
      recoverAtMs,
    };
    if (plannedMs !== undefined) claim.plannedMs = plannedMs;
    return withinBudget(claim);
  }

  /**
   * A job with `remaining_runs` fires at most what is left (the earliest of
   * a catch-up's runs); the claim that spends the last has no next run,
   * which makes the job FINISHED in the same write.
   */
  function withinBudget(claim: Claim): Claim {
    const { job } = claim;
    if (job.remainingRuns === undefined) return claim;
    const spent = spendRuns(claim.runs ?? [job.nextRunMs], job.remainingRuns);
    return {
      ...claim,
      runs: spent.runs,
      remainingRuns: spent.left ?? 0,
      nextRunMs: spent.finishes ? undefined : claim.nextRunMs,
    };
  }

  /**
   * The planned start of each due run with a flexible window (undefined for
   * the others), spread over its window with the runs of the same time this
   * node claims (`window-spread.ts`). A run past its misfire threshold is
   * caught up instead, and sent at once: `claimFor` drops its plan.
   */
  function plansOf(due: DueJob[], now: number): Array<number | undefined> {
    const windowed = due.flatMap((job, i) => {
      const windowMs = windowOf(job.schedule);
      return windowMs > 0
        ? [{ i, run: { jobId: job.id, nominalMs: job.nextRunMs, windowMs } }]
        : [];
    });
    const plans = new Array<number | undefined>(due.length);
    if (windowed.length === 0) return plans;
    const starts = planStarts(
      windowed.map((w) => w.run),
      now,
      spread,
    );
    windowed.forEach((w, k) => {
      plans[w.i] = starts[k];
    });
    return plans;
  }

  /** Caught-up runs are sent now: their recovery deadline counts from now. */
  function catchUpClaim(job: DueJob, plan: CatchUp, now: number): Claim {
    const recoverAtMs = recoverAt(job, now + options.startTimeoutMs, now);
    const claim: Claim = { job, nextRunMs: plan.nextRunMs, recoverAtMs, runs: plan.runs };
    if (plan.missed > 0) claim.missed = plan.missed;
    return claim;
  }

  /** The deadline the claim records: see `recoveryDeadline`. */
  function recoverAt(job: DueJob, own: number, now: number): number {
    return recoveryDeadline({
      pendingMs: job.recoverAtMs,
      ownMs: own,
      nowMs: now,
      startTimeoutMs: options.startTimeoutMs,
    });
  }

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
      }
      metrics.passes.inc({ source: fromIndex ? "index" : "known" });
      const due = read.filter((job) => job.nextRunMs <= horizon);
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
      if (due.length === 0) {
        metrics.lag.set({ partition: String(partition) }, 0);
        return result;
      }
      metrics.lag.set(
        { partition: String(partition) },
        Math.max(0, now - due[0]!.nextRunMs) / 1000,
      );
      const named = due.flatMap((job) => {
        const name = job.schedule.calendar?.name;
        return name === undefined ? [] : [{ tenant: job.tenant, name }];
      });
      if (named.length > 0) await calendars?.load(named);
      const plans = plansOf(due, now);
      const claims = due.map((job, i) => claimFor(job, now, plans[i]));
      // A span's times are wall-clock, whatever clock the scheduler runs on.
      const claimedAt = new Date();
      let won: boolean[];
      let stale: StaleOwnerError | undefined;
      try {
        won = await store.claimRuns(claims, fence);
      } catch (err) {
        // Claims are separate writes: a stale owner may have won some (jobs
        // the newer owner had not touched). Each is a once-only claim; it is
        // sent now rather than left to the new owner's recovery sweep.
        if (!(err instanceof StaleOwnerError)) throw err;
        stale = err;
        won = err.won ?? [];
      }
      const runs: OutgoingRun[] = [];
      let lost = 0;
      won.forEach((ok, i) => {
        const claim = claims[i]!;
        if (!ok) {
          lost++;
          return;
        }
        const { job } = claim;
        result.deadlines.push(claim.recoverAtMs);
        // The job's next run is the partition's business too: come back for it.
        if (claim.nextRunMs !== undefined) {
          result.nextClaimedMs = Math.min(result.nextClaimedMs ?? claim.nextRunMs, claim.nextRunMs);
        }
        if (claim.missed) {
          metrics.missed.inc({ policy: job.schedule.misfire?.mode ?? "FIRE_ONCE" }, claim.missed);
        }
        for (const scheduledMs of claim.runs ?? [job.nextRunMs]) {
          const run = { tenant: job.tenant, jobId: job.id, partition: job.partition };
          const plan = claim.runs === undefined ? claim.plannedMs : undefined;
          // The due index's copy of the job rides along (see `DueJob`).
          runs.push(
            runMessageFor(
              {
                ...run,
                scheduledMs,
                attempt: 1,
                manual: false,
                ...(plan !== undefined && { plannedMs: plan }),
              },
              job,
            ),
          );
        }
      });
      traceClaims(runs, claimedAt);
      metrics.claimed.inc(runs.length);
      metrics.claimsLost.inc(lost);
      // Reads jobs only when the due index predates priorities.
      dispatcher.hold(await withJobFields(runs, store));
      result.claimed = runs.length;
      result.lost = lost;
      result.more = fromIndex && due.length >= readLimit;
      if (stale) throw stale;
      return result;
    },
  };
}

export type Claimer = ReturnType<typeof createClaimer>;

/** The upper end of a due-index read that goes on past its window. */
const FAR_MS = Number.MAX_SAFE_INTEGER;
