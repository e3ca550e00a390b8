import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { ExecutionStatus, RunRef } from "../core/execution.js";
import type { Job, JobTarget } from "../core/job.js";
import type { DeadLetterQueue } from "../core/ports/dead-letter-queue.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { RetryStore } from "../core/ports/retry-store.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { decideRetry } from "../core/retry-policy.js";
import { jobCarries, runMessageFor } from "../core/run-message.js";
import { ALL_TENANTS } from "../core/tenant.js";
import type { HandlerResult } from "./handlers/handler.js";
import type { RetryMetrics } from "./retry-metrics.js";
import { withRetries } from "./with-retries.js";

/** A run's final outcome: no attempt of it follows. */
export type RunEvent = "succeeded" | "failed" | "dead";

/** What a listener learns about a run whose outcome is final. */
export interface FinalRun {
  event: RunEvent;
  executionId: string;
  run: RunRef;
  /** The result (succeeded) or error (failed, dead). */
  summary: string;
}

/** What the worker needs for retry policies; without it every failure stays FAILED. */
export interface RetryDeps {
  jobs: JobStore;
  retries: RetryStore;
  queue: WorkQueue;
  deadLetters: DeadLetterQueue;
  metrics: RetryMetrics;
  /** Longest delay the queue takes (SQS: 15 min); a later retry waits in the store. */
  queueMaxDelayMs: number;
  /** A retry not started this long after it is due is sent again by the recovery sweep. */
  startTimeoutMs: number;
  /** [0, 1) for jitter; Math.random by default, seeded in tests. */
  random?: () => number;
}

/**
 * Records the outcome of an attempt. Success and a failure without a retry
 * policy are one conditional write (as they always were: the worker's cost
 * per run does not change). A failure under a policy reads the job's policy,
 * then either ends the attempt FAILED and records the next one QUEUED in one
 * transaction, or records it DEAD and tells the dead letter queue.
 *
 * Returns the status recorded, or undefined when the attempt was no longer
 * this worker's (re-queued after a lost session): then nothing is recorded.
 */
export function createOutcomeRecorder(deps: {
  executions: ExecutionStore;
  clock: Clock;
  workerId: string;
  retry?: RetryDeps;
  /**
   * Told once a run's outcome is final (succeeded, failed without retry,
   * dead) — the hook for notifications. Not told of a failed attempt that a
   * retry follows. Must not throw.
   */
  notify?: (final: FinalRun) => void;
}) {
  const { executions, clock, workerId } = deps;

  /** After a write that failed its condition: did an earlier try of ours apply it? */
  async function oursAlready(
    id: string,
    status: ExecutionStatus,
    logger: Logger,
    nextAttemptMs?: number,
  ) {
    // The worker's own record, by id: a system read.
    const stored = await executions.getExecution(ALL_TENANTS, id);
    if (
      stored?.status === status &&
      stored.workerId === workerId &&
      // A retry of ours says when it is due; a re-queue by the leader (lost session) does not.
      (nextAttemptMs === undefined || stored.nextAttemptMs === nextAttemptMs)
    ) {
      return true;
    }
    logger.warn("execution was no longer held by this worker; outcome not recorded");
    return false;
  }

  async function finish(
    id: string,
    result: HandlerResult,
    logger: Logger,
    status: "SUCCEEDED" | "FAILED" | "CANCELLED" = result.ok ? "SUCCEEDED" : "FAILED",
  ) {
    const recorded = await withRetries({ logger, clock }, () =>
      executions.finishExecution(id, workerId, {
        status,
        endedMs: clock.now(),
        ...(result.ok ? { result: result.summary } : { error: result.summary }),
      }),
    );
    if (!recorded && !(await oursAlready(id, status, logger))) return undefined;
    return status;
  }

  async function retryLater(
    retry: RetryDeps,
    attempt: { run: RunRef; id: string; target: JobTarget; error: string; logger: Logger },
    delayMs: number,
    job: Job | undefined,
  ) {
    const { run, id, logger } = attempt;
    const endedMs = clock.now();
    const dueMs = endedMs + delayMs;
    const viaQueue = delayMs <= retry.queueMaxDelayMs;
    // Sent now with a delay: the sweep looks again once it should have
    // started. Kept in the store: the sweep sends it when it is due.
    const recheckAtMs = viaQueue ? dueMs + retry.startTimeoutMs : dueMs;
    const next = await withRetries({ logger, clock }, () =>
      retry.retries.scheduleRetry(
        run,
        workerId,
        { error: attempt.error, endedMs },
        { dueMs, recheckAtMs },
      ),
    );
    if (!next && !(await oursAlready(id, "FAILED", logger, dueMs))) return undefined;
    const nextRun: RunRef = { ...run, attempt: run.attempt + 1 };
    retry.metrics.retries.inc({ via: viaQueue ? "queue" : "store" });
    logger.info({ delayMs, dueMs, via: viaQueue ? "queue" : "store" }, "retry scheduled");
    if (viaQueue) {
      // A failed send loses nothing: the recovery sweep sends it at its recheck time.
      await retry.queue
        .send([runMessageFor(nextRun, { ...jobCarries(job), target: attempt.target, delayMs })])
        .catch((err: unknown) => logger.warn({ err }, "retry not sent; the recovery sweep will"));
    }
    return "FAILED" as const;
  }

  async function die(
    retry: RetryDeps,
    attempt: { run: RunRef; id: string; error: string; logger: Logger },
  ) {
    const { run, id, error, logger } = attempt;
    const endedMs = clock.now();
    const recorded = await withRetries({ logger, clock }, () =>
      retry.retries.markDead(run, workerId, { error, endedMs }),
    );
    if (!recorded && !(await oursAlready(id, "DEAD", logger))) return undefined;
    retry.metrics.dead.inc();
    logger.warn({ error }, "run is dead");
    await retry.deadLetters
      .publish({
        executionId: id,
        jobId: run.jobId,
        scheduledMs: run.scheduledMs,
        attempt: run.attempt,
        error,
        deadMs: endedMs,
      })
      .catch((err: unknown) => {
        retry.metrics.deadLetterFailures.inc();
        logger.warn({ err }, "dead run not sent to the dead letter queue; it is on the dead list");
      });
    return "DEAD" as const;
  }

  async function record(attempt: {
    run: RunRef;
    id: string;
    target: JobTarget;
    result: HandlerResult;
    logger: Logger;
    /** Set when a newer run of the job stopped this one: it ends CANCELLED, without retry. */
    cancelled?: string | undefined;
    /** Told, besides `notify`, when this run's outcome is final. Must not throw. */
    onFinal?: (final: FinalRun) => void;
  }): Promise<ExecutionStatus | undefined> {
    const { run, id, result, logger } = attempt;
    if (attempt.cancelled !== undefined) {
      return finish(id, { ok: false, summary: attempt.cancelled }, logger, "CANCELLED");
    }
    const retry = deps.retry;
    let status: ExecutionStatus | undefined;
    let summary = result.summary;
    if (result.ok || !retry) {
      status = await finish(id, result, logger);
    } else {
      const job = await withRetries({ logger, clock }, () =>
        retry.jobs.getJob(run.tenant, run.jobId),
      );
      const decision = decideRetry(
        job?.retryPolicy,
        run.attempt,
        result.retryable === true,
        retry.random ?? Math.random,
      );
      if (decision.retry) {
        return retryLater(retry, { ...attempt, error: result.summary }, decision.delayMs, job);
      }
      if (decision.dead) {
        summary = `${decision.reason}: ${result.summary}`;
        status = await die(retry, { ...attempt, error: summary });
      } else {
        status = await finish(id, result, logger);
      }
    }
    if (status !== undefined) {
      const event: RunEvent =
        status === "SUCCEEDED" ? "succeeded" : status === "DEAD" ? "dead" : "failed";
      // notify(event): the one place where a run's outcome is final.
      deps.notify?.({ event, executionId: id, run, summary });
      attempt.onFinal?.({ event, executionId: id, run, summary });
    }
    return status;
  }

  return { record };
}
