/**
 * One step of one backfill, as the driver (`scheduler/backfill-driver.ts`)
 * takes it: follow the runs it has out, send the next ones, end it. The
 * record is written before anything is sent (conditional on its version);
 * so a crash between the two loses nothing (a run recorded as sent that
 * never started is sent again once a start timeout has passed) and a step
 * that lost the write sends nothing.
 *
 * Nothing runs twice: every run is an execution id fixed before it is sent
 * (`selection.ts`), and a worker starts an id at most once however often
 * its message arrives.
 */

import type { Clock } from "../clock.js";
import type { Execution, RunRef } from "../execution.js";
import { runsByInstant } from "../fire-ledger/index.js";
import type { Job } from "../job.js";
import type { BackfillStore } from "../ports/backfill-store.js";
import type { CalendarStore } from "../ports/calendar-store.js";
import type { ExecutionStore } from "../ports/execution-store.js";
import type { JobStore } from "../ports/job-store.js";
import type { OutgoingRun, WorkQueue } from "../ports/work-queue.js";
import { jobCarries, runMessageFor } from "../run-message.js";
import { progressOf } from "./selection.js";
import { type Backfill, type InFlightRun, remainingOf, walkDone } from "./types.js";
import { walk } from "./walk.js";

/** The lane below live traffic: every backfill run goes to the LOW queue. */
export const BACKFILL_PRIORITY = "LOW" as const;
/** Nominal times judged per window while looking for the next runs. */
const STEP_WINDOW = 200;
/** Attempts one read of the runs out returns at most; past it, one read per run. */
const FLIGHT_READ_MAX = 2000;

export interface AdvanceDeps {
  store: Pick<BackfillStore, "save">;
  jobs: Pick<JobStore, "getJob">;
  executions: Pick<ExecutionStore, "executionsBetween">;
  queue: Pick<WorkQueue, "send">;
  calendars?: Pick<CalendarStore, "getCalendar">;
  clock: Clock;
  /** A run sent and not started this long after is sent again. */
  startTimeoutMs: number;
}

/** What a step did. */
export interface StepResult {
  /** New runs sent. */
  sent: number;
  /** Runs sent again (not started within the start timeout). */
  resent: number;
  /** The record as stored after the step. */
  backfill: Backfill;
  /** The send failed (the runs go again once the start timeout has passed). */
  sendError?: unknown;
}

/** The attempts at the instants of the runs out, by instant. */
async function attemptsOut(
  executions: AdvanceDeps["executions"],
  b: Backfill,
): Promise<Map<number, Execution[]>> {
  if (b.inFlight.length === 0) return new Map();
  const instants = b.inFlight.map((r) => r.fireMs);
  const lo = Math.min(...instants);
  const hi = Math.max(...instants);
  let found = await executions.executionsBetween(b.tenant, b.jobId, lo, hi, FLIGHT_READ_MAX);
  if (found.length >= FLIGHT_READ_MAX) {
    found = [];
    for (const at of new Set(instants)) {
      found.push(...(await executions.executionsBetween(b.tenant, b.jobId, at, at, 100)));
    }
  }
  return runsByInstant(found);
}

function runRef(b: Backfill, job: Job, r: InFlightRun): RunRef {
  return {
    tenant: b.tenant,
    jobId: b.jobId,
    partition: job.partition,
    scheduledMs: r.fireMs,
    attempt: r.attempt,
    manual: false,
    backfillId: b.id,
  };
}

export function createBackfillAdvance(deps: AdvanceDeps) {
  const { clock } = deps;

  /** Follows the runs out: counts starts and ends, picks the ones to send again. */
  function follow(next: Backfill, attempts: Map<number, Execution[]>, job: Job, nowMs: number) {
    const resend: InFlightRun[] = [];
    const out: InFlightRun[] = [];
    // A paused job's worker would cancel a run sent now: it waits for the resume.
    const mayResend = next.state === "RUNNING" && job.status !== "PAUSED";
    for (const run of next.inFlight) {
      const p = progressOf(attempts.get(run.fireMs) ?? [], run.attempt);
      if (p.started && !run.started) {
        run.started = true;
        next.counts.started++;
      }
      if (p.ended) {
        next.counts[p.ended]++;
        continue;
      }
      const overdue = !p.recorded && nowMs - run.sentMs >= deps.startTimeoutMs;
      // A cancelled backfill sends nothing more: an overdue run is let go.
      if (overdue && next.state === "CANCELLED") continue;
      if (overdue && mayResend) {
        run.sentMs = nowMs;
        resend.push(run);
      }
      out.push(run);
    }
    next.inFlight = out;
    return resend;
  }

  /** Ends it FAILED: its job is gone or cancelled, so no run of it can start. */
  function failed(b: Backfill, why: string, nowMs: number): Backfill {
    return {
      ...b,
      state: "FAILED",
      error: why,
      inFlight: [],
      counts: { ...b.counts, skipped: b.counts.skipped + remainingOf(b) },
      endedMs: nowMs,
    };
  }

  return {
    /**
     * Advances `b` (as read): it may have at most `allowed` runs out once
     * the ended ones are counted off (the driver's share for it), and never
     * more than its own `max_concurrent`. Undefined when the record changed
     * since it was read (a cancel, another driver): nothing was sent.
     */
    async step(b: Backfill, allowed: number): Promise<StepResult | undefined> {
      const nowMs = clock.now();
      const job = await deps.jobs.getJob(b.tenant, b.jobId);
      let next: Backfill = structuredClone(b);
      let resend: InFlightRun[] = [];
      let fresh: InFlightRun[] = [];
      if (!job || job.status === "CANCELLED") {
        next = failed(next, job ? `job ${b.jobId} was cancelled` : `job ${b.jobId} is gone`, nowMs);
      } else {
        resend = follow(next, await attemptsOut(deps.executions, next), job, nowMs);
        const want = Math.min(next.maxConcurrent, allowed) - next.inFlight.length;
        if (next.state === "RUNNING" && job.status !== "PAUSED" && !walkDone(next) && want > 0) {
          const name = next.schedule.calendar?.name;
          const calendar = name ? await deps.calendars?.getCalendar(b.tenant, name) : undefined;
          const walked = await walk(
            deps.executions,
            { backfill: next, job, calendar, nowMs },
            want,
            STEP_WINDOW,
          );
          fresh = walked.runs.map((r) => ({
            nominalMs: r.nominalMs,
            fireMs: r.fireMs,
            attempt: r.attempt,
            sentMs: nowMs,
          }));
          next.inFlight.push(...fresh);
          next.counts.sent += fresh.length;
          next.cursorMs = walked.cursorMs;
        }
        if (next.state === "RUNNING" && walkDone(next)) {
          // Times selected at the start that needed no run by their turn.
          next.counts.skipped = Math.max(0, next.counts.selected - next.counts.sent);
          if (next.inFlight.length === 0) {
            next.state = "DONE";
            next.endedMs = nowMs;
          }
        }
      }
      if (JSON.stringify(next) === JSON.stringify(b)) return { sent: 0, resent: 0, backfill: b };
      next.version = b.version + 1;
      next.updatedMs = nowMs;
      if (!(await deps.store.save(next))) return undefined;
      const messages: OutgoingRun[] = [...fresh, ...resend].map((r) =>
        runMessageFor(runRef(next, job!, r), { ...jobCarries(job), priority: BACKFILL_PRIORITY }),
      );
      const result: StepResult = { sent: fresh.length, resent: resend.length, backfill: next };
      // Recorded first: a failed send is sent again once the start timeout has passed.
      if (messages.length > 0) {
        await deps.queue.send(messages).catch((err: unknown) => {
          result.sendError = err;
        });
      }
      return result;
    },
  };
}

export type BackfillAdvance = ReturnType<typeof createBackfillAdvance>;
