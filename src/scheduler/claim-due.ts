import {
  type CheckedDeadlines,
  recordReplaceable,
  recoveryDeadline,
  runDeadline,
} from "../core/claim-rules.js";
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
import type { ClaimGate } from "./claim-gate.js";
import { traceClaims } from "./claim-span.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SchedulerMetrics } from "./metrics.js";

/** Lower-priority claims sent through the gate at a time: one adapter call's worth. */
const GATED_CHUNK = 16;

/** HIGH first, each priority in time order: a pass claims and sends HIGH runs first. */
export function highFirst(due: DueJob[]): DueJob[] {
  return [...due.filter((j) => j.priority === "HIGH"), ...due.filter((j) => j.priority !== "HIGH")];
}

/** What claiming a list of due runs won, for the pass that asked. */
export interface Claimed {
  claimed: number;
  lost: number;
  /** The recovery deadlines the won claims recorded. */
  deadlines: number[];
  /** Jobs whose run was won. */
  claimedIds: string[];
  /** The earliest next run of a job won. */
  nextClaimedMs?: number;
  /** Set when a newer owner fenced the partition: thrown after the won runs are handed over. */
  stale?: StaleOwnerError;
}

/**
 * The claims of due runs and the hand-over of those won to the dispatcher,
 * for the claimer's passes: each claim a compare-and-set on the job's next
 * run, a run more than its misfire threshold late caught up by the job's
 * policy in the same write, a run with a flexible window given its planned
 * start, a job's `remaining_runs` spent by the same write.
 */
export function createDueClaims(deps: {
  store: JobStore;
  dispatcher: Dispatcher;
  metrics: SchedulerMetrics;
  options: { startTimeoutMs: number };
  /** Calendars of jobs that name one; without it no date is excluded. */
  calendars?: CalendarCache;
  /** Bounds the claims of lower priorities in flight (absent: unbounded). */
  claimGate?: ClaimGate;
  /**
   * What this node planned in flexible windows: one for all its partitions
   * (see `window-spread.ts`); absent: a fresh one.
   */
  spread?: SpreadMemory;
  /**
   * The deadlines this node's sweeps checked in a partition it owns; absent
   * (a standby's claims): none known, and no claim replaces a record.
   */
  checked?: (partition: number) => CheckedDeadlines | undefined;
}) {
  const { store, dispatcher, metrics, options, calendars, claimGate } = deps;
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
    // A run claimed late (within its misfire threshold, which may be longer
    // than the start timeout) is sent now: its deadline counts from now too,
    // never from a time the sweep's cursor may have passed already.
    const own = Math.max(runDeadline(run, options.startTimeoutMs), now + options.startTimeoutMs);
    const claim: Claim = {
      job,
      nextRunMs: nextFire(job.schedule, job.nextRunMs, ctx),
      ...recordOf(job, own, now),
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
    const record = recordOf(job, now + options.startTimeoutMs, now);
    const claim: Claim = { job, nextRunMs: plan.nextRunMs, ...record, runs: plan.runs };
    if (plan.missed > 0) claim.missed = plan.missed;
    return claim;
  }

  /**
   * What the claim records besides its runs: a record whose runs all
   * started (`recordReplaceable`) is replaced, under the claim's own
   * deadline; else the deadline is `recoveryDeadline`'s.
   */
  function recordOf(
    job: DueJob,
    own: number,
    now: number,
  ): Pick<Claim, "recoverAtMs" | "replacesRecord"> {
    if (recordReplaceable({ pendingMs: job.recoverAtMs, checked: deps.checked?.(job.partition) })) {
      return { recoverAtMs: own, replacesRecord: true };
    }
    return {
      recoverAtMs: recoveryDeadline({
        pendingMs: job.recoverAtMs,
        ownMs: own,
        nowMs: now,
        startTimeoutMs: options.startTimeoutMs,
      }),
    };
  }

  /** Counts what a claim call won and hands its runs to the dispatcher. */
  async function handOver(
    claims: Claim[],
    won: boolean[],
    claimedAt: Date,
    result: Claimed,
  ): Promise<void> {
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
      result.claimedIds.push(job.id);
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
        // The due index's copy of the job rides along (see `DueJob`); the
        // claim just recorded the run, so its start need not read the job
        // for a stop (`claimed`), nor for whether the job is failing, which
        // the claim's write found; unless a failure policy may pause the
        // job: its start reads how the job stands then.
        const found = claim.found;
        const failing = found && !found.pausesAfterFailures ? found.failing : undefined;
        const carries = { ...job, claimed: true, ...(failing !== undefined && { failing }) };
        runs.push(
          runMessageFor(
            {
              ...run,
              scheduledMs,
              attempt: 1,
              manual: false,
              ...(plan !== undefined && { plannedMs: plan }),
            },
            carries,
          ),
        );
      }
    });
    traceClaims(runs, claimedAt);
    metrics.claimed.inc(runs.length);
    metrics.claimsLost.inc(lost);
    result.lost += lost;
    result.claimed += runs.length;
    // Reads jobs only when the due index predates priorities.
    dispatcher.hold(await withJobFields(runs, store));
  }

  /**
   * Claims the due runs (HIGH first: their writes go out first, past the
   * claim gate, and their runs reach the dispatcher first) and hands those
   * won to the dispatcher, a chunk at a time.
   */
  async function claimDue(due: DueJob[], fence: Fence | undefined, now: number): Promise<Claimed> {
    const result: Claimed = { claimed: 0, lost: 0, deadlines: [], claimedIds: [] };
    if (due.length === 0) return result;
    const named = due.flatMap((job) => {
      const name = job.schedule.calendar?.name;
      return name === undefined ? [] : [{ tenant: job.tenant, name }];
    });
    if (named.length > 0) await calendars?.load(named);
    const ordered = highFirst(due);
    const plans = plansOf(ordered, now);
    const claims = ordered.map((job, i) => claimFor(job, now, plans[i]));
    const high = claims.filter((c) => c.job.priority === "HIGH");
    const rest = claims.slice(high.length);
    // HIGH claims first and past the gate; the rest a chunk at a time
    // through it, each chunk's runs handed over as soon as it is won.
    const batches = [high];
    for (let i = 0; i < rest.length; i += GATED_CHUNK) batches.push(rest.slice(i, i + GATED_CHUNK));
    for (const batch of batches) {
      if (batch.length === 0) continue;
      const gated = batch !== high && claimGate !== undefined;
      if (gated) await claimGate?.acquire(batch.length);
      // A span's times are wall-clock, whatever clock the scheduler runs on.
      const claimedAt = new Date();
      let won: boolean[];
      try {
        won = await store.claimRuns(batch, fence);
      } catch (err) {
        // Claims are separate writes: a stale owner may have won some (jobs
        // the newer owner had not touched). Each is a once-only claim; it is
        // sent now rather than left to the new owner's recovery sweep.
        if (!(err instanceof StaleOwnerError)) throw err;
        result.stale = err;
        won = err.won ?? [];
      } finally {
        if (gated) claimGate?.release(batch.length);
      }
      await handOver(batch, won, claimedAt, result);
      if (result.stale) break;
    }
    return result;
  }

  return { claimDue, contextOf };
}
