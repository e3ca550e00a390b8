import type { Logger } from "pino";
import { recordMayStay, runDeadline } from "../core/claim-rules.js";
import type { Clock } from "../core/clock.js";
import { plannedStart, type UntenantedRun } from "../core/execution.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { JobStore, PendingRuns } from "../core/ports/job-store.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { withJobFields } from "../core/with-job-fields.js";
import type { SchedulerMetrics } from "./metrics.js";
import { createOverdueRuns } from "./overdue-runs.js";

/**
 * The recovery sweep of one partition. Every claim records its run in the
 * job item with a deadline (`recover_at`); when the deadline passes, the sweep
 * checks which recorded runs have an execution record (a worker started them).
 * Those leave the record; the others were claimed but never sent, or sent and
 * lost, and are sent again. The store is the source of truth, the queue only
 * the transport: a run sent twice still runs once (see ExecutionStore).
 *
 * The sweep reads deadlines in `(cursor, now]`, so a job whose runs all
 * started needs no further write when nothing more is recorded (a finished
 * job) or the next claim replaces its deadline (`recordMayStay`): the old
 * deadline stays behind the cursor.
 */
export function createRecovery(deps: {
  jobs: JobStore;
  executions: ExecutionStore;
  queue: WorkQueue;
  clock: Clock;
  metrics: SchedulerMetrics;
  logger: Logger;
  startTimeoutMs: number;
  /** How far ahead of its run a claim may come (`recordMayStay`). */
  lookaheadMs: number;
  /** How often each partition is swept (default: the start timeout). */
  sweepIntervalMs?: number;
}) {
  const { jobs, executions, queue, clock, metrics, logger, startTimeoutMs } = deps;
  // A run resent now is read again at its new deadline (a start timeout on)
  // by the first sweep after it: one more interval of slack.
  const overdueRuns = createOverdueRuns({
    forgetAfterMs: startTimeoutMs + 2 * (deps.sweepIntervalMs ?? startTimeoutMs),
  });
  function reportOldest(now: number): void {
    const oldest = overdueRuns.oldestMs(now);
    metrics.oldestUnstarted.set(oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000);
  }

  async function sendRequeued(partition: number, resend: UntenantedRun[]): Promise<void> {
    if (!resend.length) return;
    logger.warn(
      { partition, runs: resend.length },
      "re-queued attempts not started in time; sending again",
    );
    await queue.send(await withJobFields(resend, jobs));
    metrics.resent.inc(resend.length);
    resend.length = 0;
  }

  async function settle(
    pending: PendingRuns,
    startedKeys: Set<string>,
    now: number,
    queueBacklog: () => Promise<boolean>,
  ): Promise<{ resent: UntenantedRun[]; deferred: boolean; deadline?: number; left?: boolean }> {
    const started = {
      has: (t: number) => startedKeys.has(`${pending.jobId}:${t}`),
    };
    const recorded = recordedRuns(pending);
    const overdue = recorded.some(
      (run) => !started.has(run.scheduledMs) && runDeadline(run, startTimeoutMs) <= now,
    );
    // Runs are waiting in the queue: an overdue run is most likely among
    // them, not lost. Look again next sweep rather than send it twice; no
    // write, the cursor stays before this job.
    if (overdue && (await queueBacklog())) return { resent: [], deferred: true };
    const resent: UntenantedRun[] = [];
    let nextCheck = Number.POSITIVE_INFINITY;
    for (const run of recorded) {
      if (started.has(run.scheduledMs)) continue;
      // A run waiting for its planned start in a flexible window is not late.
      const deadline = runDeadline(run, startTimeoutMs);
      if (deadline <= now) {
        resent.push(run);
        nextCheck = Math.min(nextCheck, now + startTimeoutMs);
      } else {
        nextCheck = Math.min(nextCheck, deadline);
      }
    }
    const startedScheduled = pending.scheduled.filter((t) => started.has(t));
    const startedManual = pending.manual.filter((t) => started.has(t));
    const startedPlans = (pending.plans ?? []).filter((p) => started.has(p.scheduledMs));
    const unsettled = Number.isFinite(nextCheck);
    // Every run started and nothing will join them before the deadline is
    // replaced: leave the item as it is (its deadline is behind the cursor
    // from now on).
    if (
      !unsettled &&
      recordMayStay({
        active: pending.active,
        nextRunMs: pending.nextRunMs,
        recordedRuns: recorded.length,
        nowMs: now,
        lookaheadMs: deps.lookaheadMs,
        startTimeoutMs,
      })
    ) {
      if (!pending.active) return { resent, deferred: false };
      metrics.recordsLeft.inc();
      return { resent, deferred: false, left: true };
    }
    const settlement = {
      jobId: pending.jobId,
      startedScheduled,
      startedManual,
      ...(startedPlans.length > 0 && { startedPlans }),
    };
    if (unsettled) {
      // Moving the deadline commutes with claims: no condition, so that a job
      // claimed every second cannot starve its own recovery.
      await jobs.settleRuns({ ...settlement, recoverAtMs: nextCheck });
    } else if (
      !(await jobs.settleRuns({
        ...settlement,
        claimSeq: pending.claimSeq,
        recoverAtMs: undefined,
      }))
    ) {
      // A claim came in between: keep watching instead of clearing.
      nextCheck = now + startTimeoutMs;
      await jobs.settleRuns({ ...settlement, recoverAtMs: nextCheck });
    }
    // Send after the deadline moved: if this process dies in between, the
    // next sweep still finds the runs.
    return {
      resent,
      deferred: false,
      ...(Number.isFinite(nextCheck) ? { deadline: nextCheck } : {}),
    };
  }

  return {
    /**
     * Checks deadlines in `(fromMs, now]`. Returns the cursor to start from
     * next time (`now`, or just before a job deferred while the queue had a
     * backlog) and the deadlines the sweep now knows of: those it wrote, the
     * next re-queued attempt's recheck, and with `aheadMs` the deadlines up
     * to `now + aheadMs`, whose runs (not started, not sent by this sweep)
     * it returns in `unstarted` without writing anything.
     */
    async sweep(partition: number, fromMs: number, aheadMs = 0): Promise<SweepResult> {
      const now = clock.now();
      let cursor = now;
      let left = 0;
      const deadlines: number[] = [];
      const unstarted: UntenantedRun[] = [];
      let token: string | undefined;
      let backlog: boolean | undefined;
      const queueBacklog = async () => {
        if (backlog === undefined) {
          backlog = await queue.depth().then(
            (d) => d.visible > 0,
            () => false,
          );
        }
        return backlog;
      };
      do {
        const page = await jobs.pendingRuns(partition, fromMs, now + aheadMs, 100, token);
        const resend: UntenantedRun[] = [];
        // Eventually consistent, at half the cost, when only passed deadlines
        // are read: a deadline is a start timeout after the run's time, and a
        // start written in the read's last second and missed only sends the
        // run again, which its conditional start then refuses. A read ahead
        // (the first sweep after a gain, whose unstarted runs are sent again
        // after a takeover) meets starts of the last moments: consistent, as
        // the standby's 400 ms after a run's time.
        const startedKeys = await executions.startedRuns(
          page.items.flatMap((p) =>
            [...p.scheduled, ...p.manual].map((scheduledMs) => ({ jobId: p.jobId, scheduledMs })),
          ),
          { consistent: aheadMs > 0 },
        );
        for (const pending of page.items) {
          const due = pending.recoverAtMs <= now;
          if (due) {
            for (const run of recordedRuns(pending)) {
              const key = `${pending.jobId}:${run.scheduledMs}`;
              if (startedKeys.has(key)) overdueRuns.started(partition, key);
              else if (runDeadline(run, startTimeoutMs) <= now) {
                overdueRuns.overdue(partition, key, plannedStart(run), now);
              }
            }
          }
          const settled = due
            ? await settle(pending, startedKeys, now, queueBacklog)
            : { resent: [], deferred: false, deadline: pending.recoverAtMs };
          if (settled.deferred) {
            cursor = Math.min(cursor, pending.recoverAtMs - 1);
            deadlines.push(now);
          }
          if (settled.deadline !== undefined) deadlines.push(settled.deadline);
          if (settled.left) left++;
          resend.push(...settled.resent);
          if (aheadMs > 0) unstarted.push(...notStarted(pending, startedKeys, settled.resent));
        }
        if (resend.length) {
          logger.warn(
            { partition, runs: resend.length, first: resend[0] },
            "claimed runs not started in time; sending again",
          );
          await queue.send(await withJobFields(resend, jobs));
          metrics.resent.inc(resend.length);
        }
        token = page.nextToken;
      } while (token);
      // Attempts re-queued after a worker was lost, or retries kept in the
      // store, are recorded QUEUED with their own recheck time: send again
      // those still not started. The read goes on past now to learn the next
      // recheck (a retry kept in the store is sent at it, not at a backstop).
      queued: do {
        const page = await executions.queuedAttempts(partition, fromMs, FAR_MS, 100, token);
        const resend: UntenantedRun[] = [];
        for (const queued of page.items) {
          if (queued.requeueAtMs > now) {
            deadlines.push(queued.requeueAtMs);
            token = undefined;
            await sendRequeued(partition, resend);
            break queued;
          }
          if (await executions.deferQueued(queued.run, now + startTimeoutMs)) {
            resend.push(queued.run);
            deadlines.push(now + startTimeoutMs);
          }
        }
        await sendRequeued(partition, resend);
        token = page.nextToken;
      } while (token);
      reportOldest(now);
      return { cursor, deadlines, unstarted, left };
    },
    /** This node no longer sweeps `partition`: its runs leave the oldest-unstarted gauge. */
    forget(partition: number): void {
      overdueRuns.forget(partition);
      reportOldest(clock.now());
    },
  };
}

export type Recovery = ReturnType<typeof createRecovery>;

/** What one sweep of a partition did and learned (see `Recovery.sweep`). */
export interface SweepResult {
  cursor: number;
  /** Recovery deadlines and rechecks now known, past ones included (sweep again soon). */
  deadlines: number[];
  /** With `aheadMs`: recorded runs neither started nor sent again by this sweep. */
  unstarted: UntenantedRun[];
  /** Active jobs' records left unwritten with a passed deadline (`recordMayStay`). */
  left: number;
}

/** The upper end of a read that goes on to the first item beyond now. */
const FAR_MS = Number.MAX_SAFE_INTEGER;

/**
 * The runs `pending` records, as attempt 1 of each: the claimed ones (with
 * the planned start their claim recorded in a flexible window), then the
 * TriggerJob ones.
 */
function recordedRuns(pending: PendingRuns): UntenantedRun[] {
  const plans = new Map((pending.plans ?? []).map((p) => [p.scheduledMs, p.plannedMs]));
  const run = (scheduledMs: number, manual: boolean): UntenantedRun => {
    const plannedMs = manual ? undefined : plans.get(scheduledMs);
    return {
      jobId: pending.jobId,
      partition: pending.partition,
      scheduledMs,
      attempt: 1,
      manual,
      ...(plannedMs !== undefined && { plannedMs }),
    };
  };
  return [
    ...pending.scheduled.map((t) => run(t, false)),
    ...pending.manual.map((t) => run(t, true)),
  ];
}

/** The runs of `pending` not started and not in `resent`. */
function notStarted(
  pending: PendingRuns,
  startedKeys: Set<string>,
  resent: UntenantedRun[],
): UntenantedRun[] {
  const sent = new Set(resent.map((r) => r.scheduledMs));
  return recordedRuns(pending).filter(
    (r) => !sent.has(r.scheduledMs) && !startedKeys.has(`${pending.jobId}:${r.scheduledMs}`),
  );
}
