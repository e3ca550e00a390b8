import type { Logger } from "pino";
import { canStart, INACTIVE_JOB_REASON } from "../core/claim-rules.js";
import {
  executionId,
  latenessOf,
  plannedStart,
  type RunRef,
  type StartReads,
  waitAtStart,
} from "../core/execution.js";
import type { Job, JobLimits, JobTarget } from "../core/job.js";
import { StartInDoubt } from "../core/ports/execution-store.js";
import type { Delivery } from "../core/ports/work-queue.js";
import { retry } from "../core/retry.js";
import { ALL_TENANTS } from "../core/tenant.js";
import { startLimitedRun } from "./limited-run.js";
import { observePhase } from "./metrics.js";
import type { RunScope } from "./worker-deps.js";

/** A received run with what is known of its job, before its start. */
export interface ReceivedRun {
  run: RunRef;
  /** The execution id. */
  id: string;
  logger: Logger;
  target: JobTarget;
  limits: JobLimits | undefined;
  /** The job, when it had to be read. */
  job: Job | undefined;
  workflowId: string | undefined;
  /** When the worker took it from the intake. */
  takenMs: number;
}

/** A run this worker started: its execution is RUNNING on this worker. */
export interface StartedRun extends ReceivedRun {
  startedMs: number;
  /** What a re-queued attempt inherited (its last checkpoint), and the job's failure count at the start. */
  inherited: StartReads;
}

/**
 * Reads what a run needs before its start. The target and tenant ride along
 * with a run sent by a claim; a resent run has no target, a run sent before
 * tenancy no tenant: the job is read. Undefined when the job is gone (the
 * message is then removed).
 */
export async function receiveRun(
  scope: RunScope,
  delivery: Delivery,
): Promise<ReceivedRun | undefined> {
  const { deps } = scope;
  const { clock, metrics, options } = deps;
  const received = delivery.run;
  const takenMs = clock.now();
  // A run sent ahead of its time waits from its time: the hold before it is no wait.
  if (delivery.sentMs > 0) {
    const from = Math.max(delivery.sentMs, plannedStart(received));
    observePhase(metrics, "queue", delivery, Math.max(0, takenMs - from));
  }
  const id = executionId(received);
  const logger = deps.logger.child({
    executionId: id,
    jobId: received.jobId,
    workerId: options.id,
  });
  let target = delivery.target;
  let limits = delivery.limits;
  let job: Job | undefined;
  let workflowId = delivery.workflowId;
  if (!target || received.tenant === undefined) {
    job = await deps.jobs.getJob(received.tenant ?? ALL_TENANTS, received.jobId);
    if (!job) {
      logger.warn("job no longer exists; dropping run");
      await deps.queue.ack(delivery);
      return undefined;
    }
    if (!target) {
      target = job.target;
      limits = job.limits;
      workflowId = job.workflowId;
    }
  }
  // Every record of the run is written in the job's tenant.
  const run: RunRef = { ...received, tenant: received.tenant ?? job!.tenant };
  return { run, id, logger, target, limits, job, workflowId, takenMs };
}

/**
 * Starts the run with the store's conditional write (under the job's limits
 * when it has some). Undefined when it does not run here: a duplicate
 * delivery (removed), a job paused or cancelled since (recorded CANCELLED),
 * or a run held back by its limits.
 */
export async function startRun(
  scope: RunScope,
  delivery: Delivery,
  received: ReceivedRun,
): Promise<StartedRun | undefined> {
  const { deps } = scope;
  const { queue, clock, metrics, options } = deps;
  const { run, logger, target, workflowId } = received;
  const limits = deps.limits ? received.limits : undefined;
  const startedMs = clock.now();
  observePhase(metrics, "admit", delivery, startedMs - received.takenMs);
  const inherited: StartReads = {};
  const start = () =>
    limits
      ? startLimitedRun(
          { limits: deps.limits!, queue, clock, limited: metrics.limited, workerId: options.id },
          delivery,
          run,
          target,
          limits,
          logger,
          inherited,
        )
      : startOnce(scope, run, startedMs, delivery, inherited);
  const outcome = await (deps.storeCalls ? deps.storeCalls.track(start) : start());
  observePhase(metrics, "start_write", delivery, clock.now() - startedMs);
  if (outcome === "held") return undefined;
  if (outcome === "duplicate") {
    metrics.duplicates.inc();
    logger.info({ receiveCount: delivery.receiveCount }, "already recorded; skipping redelivery");
    if (workflowId) await deps.workflows?.redelivered(workflowId, run);
    await queue.ack(delivery);
    return undefined;
  }
  if (outcome === "job_inactive") {
    await deps.executions.cancelExecution(run, INACTIVE_JOB_REASON, startedMs);
    metrics.runs.inc({ outcome: "cancelled" });
    if (workflowId) await deps.workflows?.finished(workflowId, run, "CANCELLED");
    await queue.ack(delivery);
    return undefined;
  }
  const late = latenessOf(run, startedMs);
  if (late !== undefined) metrics.startLateness.observe(late / 1000);
  return { ...received, limits, startedMs, inherited };
}

/**
 * Starts the execution. A start whose answer was lost (timeout) may still
 * have been written: then the record is ours and the run goes on.
 */
async function startOnce(
  scope: RunScope,
  run: RunRef,
  startedMs: number,
  delivery: Pick<Delivery, "sentMs" | "wait" | "claimed" | "failing">,
  inherited: StartReads,
) {
  const { executions, options } = scope.deps;
  try {
    const wait = waitAtStart(delivery.wait, startedMs);
    // A claimed run whose message says whether the job is failing needs
    // nothing of the job; one without it (a job whose failure policy may
    // pause it) reads the job after its write, for that.
    const claimed = delivery.claimed === true && delivery.failing !== undefined;
    const outcome = await executions.startExecution(run, options.id, startedMs, {
      queuedMs: delivery.sentMs,
      inherited,
      ...(wait ? { wait } : {}),
      ...(claimed ? { claimed: true } : {}),
    });
    inherited.failing ??= delivery.failing;
    return outcome;
  } catch (err) {
    if (err instanceof StartInDoubt) return settleInDoubt(scope, run);
    const existing = await executions.getExecution(run.tenant, executionId(run));
    if (
      existing?.status === "RUNNING" &&
      existing.workerId === options.id &&
      existing.startedMs === startedMs
    ) {
      // Written, its answer lost: the job check may not have been made.
      return settleInDoubt(scope, run);
    }
    throw err;
  }
}

/** How a start in doubt waits for the store: long enough for an outage, never past the worker's hard stop. */
const SETTLE_RETRY = { baseMs: 200, maxMs: 5_000, jitter: 0.5 };

/**
 * A start written as this worker's whose job check was not made: makes it
 * once the store answers (it is the only one who will: a redelivery
 * elsewhere sees a duplicate), then runs it or ends it as a refused start
 * ends. If the worker stops first, the record stays RUNNING and this
 * worker's, and the lost-worker check re-queues it.
 */
async function settleInDoubt(scope: RunScope, run: RunRef): Promise<"started" | "job_inactive"> {
  const { jobs, executions, clock, options, logger } = scope.deps;
  logger.warn(
    { executionId: executionId(run) },
    "start in doubt: checking its job once the store answers",
  );
  const job = await retry(SETTLE_RETRY, () => jobs.getJob(run.tenant, run.jobId), clock, {
    signal: scope.hardStop,
  });
  if (job && canStart(job.status, run)) return "started";
  await retry(
    SETTLE_RETRY,
    () =>
      executions.finishExecution(executionId(run), options.id, {
        status: "CANCELLED",
        error: INACTIVE_JOB_REASON,
        endedMs: clock.now(),
      }),
    clock,
    { signal: scope.hardStop },
  );
  return "job_inactive";
}
