import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import { INACTIVE_JOB_REASON } from "../core/claim-rules.js";
import type { Clock } from "../core/clock.js";

import {
  type Execution,
  executionId,
  type RunRef,
  type RunWait,
  waitAtStart,
} from "../core/execution.js";
import type { Job } from "../core/job.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import { ALL_TENANTS } from "../core/tenant.js";
import type { OutcomeNotifications } from "../notify/outcome.js";
import { RunCancelled, watchCancel } from "./cancel-watch.js";
import { checkpointFor } from "./checkpoint.js";
import type { HandlerResult } from "./handlers/handler.js";

import type { HandlerRegistry } from "./handlers/registry.js";
import { createIntake } from "./intake.js";
import { startLimitedRun } from "./limited-run.js";
import type { LimitedStartDeps } from "./limited-start.js";
import { handOverLostRun, SessionLost } from "./lost-session.js";
import type { WorkerMetrics } from "./metrics.js";
import { createOutcomeRecorder, type RetryDeps } from "./outcome.js";
import { startReceiver } from "./receiver.js";
import { markRunStatus, withRunSpan } from "./run-span.js";
import type { TenantGate } from "./tenant-gate.js";
import { admitForTenant, resendOverflow } from "./tenant-hold.js";
import type { NodeHook } from "./workflow-hook.js";

/** Long-poll wait of one receive; bounds how long a stopping worker waits for its poll. */
const RECEIVE_WAIT_MS = 5_000;

export interface WorkerOptions {
  id: string;
  concurrency: number;
  /** The queue's visibility timeout; a running message is extended every third of it. */
  visibilityTimeoutS: number;
  /** How long `stop` waits for runs in progress before aborting them. */
  drainTimeoutMs: number;
  /** Received runs that may wait in the intake beyond `concurrency`; default `concurrency`. */
  intakeBuffer?: number;
  /**
   * A run handed over after a lost session is sent again by the recovery
   * sweep if not started this long after (the start timeout); default 10 s.
   */
  lostRunRecheckMs?: number;
}

export interface Worker {
  readonly inFlight: number;
  /**
   * Aborts the runs in progress: this worker lost its cluster session, so the
   * leader re-queues them as new attempts and their outcome would not count.
   */
  abortRunning(reason: string): void;
  /** Stops taking runs, lets running ones finish (up to the drain timeout), then returns. */
  stop(): Promise<void>;
}

/**
 * The worker role: long-polls the queue, marks each run RUNNING with a
 * conditional write (a second delivery of the same execution does nothing),
 * keeps the message invisible while the handler runs, records the outcome,
 * then deletes the message. A message is deleted only once the store knows
 * what became of the run, so a crash anywhere leads to redelivery, not loss.
 */
export function startWorker(deps: {
  queue: WorkQueue;
  jobs: JobStore;
  executions: ExecutionStore;
  handlers: HandlerRegistry;
  clock: Clock;
  logger: Logger;
  metrics: WorkerMetrics;
  options: WorkerOptions;
  /** False while this worker may not take runs (its cluster session is not live). */
  canWork?: () => boolean;
  /** Enforces job limits; without it, limits are ignored (a worker of a test that needs none). */
  limits?: Omit<LimitedStartDeps, "clock">;
  /** Retry policies and dead runs; without them a failure stays FAILED. */
  retry?: RetryDeps;
  /** Told after each final outcome (succeeded, failed, dead), in the background. */
  notifications?: OutcomeNotifications;
  /** Advances workflow runs when a node's run ends; without it, workflows do not advance. */
  workflows?: NodeHook;
  /** Tenants' fire-time quotas (fires per minute, concurrent runs); without it, none. */
  tenantGate?: TenantGate;
}): Worker {
  const canWork = deps.canWork ?? (() => true);
  /** Each running handler's abort, so that a lost session stops them. */
  const aborts = new Set<AbortController>();
  const { queue, jobs, executions, handlers, clock, metrics, options } = deps;
  const stopping = new AbortController();
  const hardStop = new AbortController();
  // Every run in progress listens on it: as many listeners as the concurrency.
  setMaxListeners(options.concurrency + 16, hardStop.signal);
  const running = new Set<Promise<void>>();
  const outcomes = createOutcomeRecorder({
    executions,
    clock,
    workerId: options.id,
    ...(deps.retry ? { retry: deps.retry } : {}),
  });

  async function handle(delivery: Delivery, slot: Slot): Promise<void> {
    const received = delivery.run;
    const takenMs = clock.now();
    if (delivery.sentMs > 0)
      metrics.phases.observe({ phase: "queue" }, (takenMs - delivery.sentMs) / 1000);
    const id = executionId(received);
    const logger = deps.logger.child({
      executionId: id,
      jobId: received.jobId,
      workerId: options.id,
    });
    // The target and tenant ride along with a run sent by a claim; a resent
    // run has no target, a run sent before tenancy no tenant: the job is read.
    let target = delivery.target;
    let limits = delivery.limits;
    let job: Job | undefined;
    let workflowId = delivery.workflowId;
    if (!target || received.tenant === undefined) {
      job = await jobs.getJob(received.tenant ?? ALL_TENANTS, received.jobId);
      if (!job) {
        logger.warn("job no longer exists; dropping run");
        await queue.ack(delivery);
        return;
      }
      if (!target) {
        target = job.target;
        limits = job.limits;
        workflowId = job.workflowId;
      }
    }
    // Every record of the run is written in the job's tenant.
    const run: RunRef = { ...received, tenant: received.tenant ?? job!.tenant };
    const gate = deps.tenantGate;
    if (gate) {
      const { held, parked } = metrics;
      const tenantDeps = { gate, queue, clock, held, parked, park: intake.park, logger };
      const heldRun = { delivery, run, target, limits, workflowId };
      if ((await admitForTenant(tenantDeps, heldRun)) !== "start") return;
    }
    try {
      if (!deps.limits) limits = undefined;
      const startedMs = clock.now();
      metrics.phases.observe({ phase: "admit" }, (startedMs - takenMs) / 1000);
      const inherited: { checkpoint?: Uint8Array } = {};
      const outcome = limits
        ? await startLimitedRun(
            { limits: deps.limits!, queue, clock, limited: metrics.limited, workerId: options.id },
            delivery,
            run,
            target,
            limits,
            logger,
            inherited,
          )
        : await startOnce(run, startedMs, delivery.sentMs, inherited, delivery.wait);
      metrics.phases.observe({ phase: "start_write" }, (clock.now() - startedMs) / 1000);
      if (outcome === "held") return;
      if (outcome === "duplicate") {
        metrics.duplicates.inc();
        logger.info(
          { receiveCount: delivery.receiveCount },
          "already recorded; skipping redelivery",
        );
        if (workflowId) await deps.workflows?.redelivered(workflowId, run);
        await queue.ack(delivery);
        return;
      }
      if (outcome === "job_inactive") {
        await executions.cancelExecution(run, INACTIVE_JOB_REASON, startedMs);
        metrics.runs.inc({ outcome: "cancelled" });
        if (workflowId) await deps.workflows?.finished(workflowId, run, "CANCELLED");
        await queue.ack(delivery);
        return;
      }
      metrics.startLateness.observe((startedMs - run.scheduledMs) / 1000);
      const handler = handlers.get(target.type);
      const heartbeat = setInterval(
        () => {
          queue.extend(delivery, options.visibilityTimeoutS).catch((err: unknown) => {
            logger.warn({ err }, "could not extend message visibility");
          });
        },
        Math.max(1000, (options.visibilityTimeoutS * 1000) / 3),
      );
      let result: HandlerResult;
      const timer = metrics.duration.startTimer({ type: target.type });
      const abort = new AbortController();
      aborts.add(abort);
      const stopWatch =
        limits?.overlap === "CANCEL_PREVIOUS" && deps.limits
          ? watchCancel(deps.limits, id, abort, logger)
          : undefined;
      const onHardStop = () => abort.abort(hardStop.signal.reason);
      hardStop.signal.addEventListener("abort", onHardStop);
      try {
        metrics.handlerLateness.observe((clock.now() - run.scheduledMs) / 1000);
        result = handler
          ? await handler.run(target as never, {
              executionId: id,
              jobId: run.jobId,
              scheduledMs: run.scheduledMs,
              attempt: run.attempt,
              signal: abort.signal,
              logger,
              checkpoint: checkpointFor(executions, id, options.id),
              ...(inherited.checkpoint ? { lastCheckpoint: inherited.checkpoint } : {}),
            })
          : {
              ok: false,
              summary: `no handler for job type "${target.type}" on this worker`,
              retryable: false,
            };
      } catch (err) {
        logger.error({ err }, "handler threw");
        result = { ok: false, summary: `handler error: ${String(err)}` };
      } finally {
        clearInterval(heartbeat);
        stopWatch?.();
        timer();
        aborts.delete(abort);
        hardStop.signal.removeEventListener("abort", onHardStop);
      }
      // The handler is done: its slot takes the next run while the outcome is written.
      freeSlot(slot);
      // A call that completed before the abort keeps its outcome.
      if (abort.signal.reason instanceof SessionLost && !result.ok) {
        const handOver = { ...deps, workerId: options.id, logger };
        try {
          await handOverLostRun(
            { ...handOver, recheckMs: options.lostRunRecheckMs ?? 10_000 },
            run,
            abort.signal.reason.message,
          );
          await queue.ack(delivery);
        } catch (err) {
          // Left RUNNING: the leader re-queues it once this worker's lease lapses.
          logger.warn({ err }, "could not hand over a run aborted by a lost session");
        }
        return;
      }
      // A newer run of the job stopped this one (overlap CANCEL_PREVIOUS): it ends CANCELLED.
      const cancelled =
        abort.signal.reason instanceof RunCancelled ? abort.signal.reason.message : undefined;
      // Success, failure, a retry or a dead run (outcome.ts); notifications hear of final outcomes.
      /** Set when the run's outcome is final (no retry follows): what a workflow run hears. */
      let finalStatus: "SUCCEEDED" | "FAILED" | "CANCELLED" | undefined;
      const recordingMs = clock.now();
      const status = await outcomes.record({
        run,
        id,
        target,
        result,
        logger,
        cancelled,
        onFinal: (final) => {
          finalStatus = final.event === "succeeded" ? "SUCCEEDED" : "FAILED";
          const execution: Execution = {
            ...run,
            id,
            status:
              final.event === "succeeded"
                ? "SUCCEEDED"
                : final.event === "dead"
                  ? "DEAD"
                  : "FAILED",
            workerId: options.id,
            startedMs,
            endedMs: clock.now(),
            ...(final.event === "succeeded" ? { result: final.summary } : { error: final.summary }),
          };
          void deps.notifications?.afterOutcome(
            final.event,
            { ...(job ? { job } : {}), ...(delivery.notify ? { notify: true } : {}) },
            execution,
          );
        },
      });
      metrics.phases.observe({ phase: "outcome_write" }, (clock.now() - recordingMs) / 1000);
      // Counted as before even when the outcome was not recorded (the run was lost).
      metrics.runs.inc({ outcome: (status ?? (result.ok ? "SUCCEEDED" : "FAILED")).toLowerCase() });
      if (status === "CANCELLED") finalStatus = "CANCELLED";
      markRunStatus(status);
      logger.info({ status, ms: clock.now() - startedMs }, "run finished");
      // The one spot where a node's final outcome advances its workflow run:
      // a run that a retry follows does not report; a DEAD one reports FAILED.
      if (workflowId && finalStatus) await deps.workflows?.finished(workflowId, run, finalStatus);
      const ackingMs = clock.now();
      await queue.ack(delivery);
      metrics.phases.observe({ phase: "ack" }, (clock.now() - ackingMs) / 1000);
    } finally {
      gate?.release(run.tenant);
    }
  }

  /**
   * Starts the execution. A start whose answer was lost (timeout) may still
   * have been written: then the record is ours and the run goes on.
   */
  async function startOnce(
    run: RunRef,
    startedMs: number,
    queuedMs: number,
    inherited: { checkpoint?: Uint8Array },
    wait: RunWait | undefined,
  ) {
    try {
      const waited = waitAtStart(wait, startedMs);
      return await executions.startExecution(
        run,
        options.id,
        startedMs,
        queuedMs,
        inherited,
        waited,
      );
    } catch (err) {
      const existing = await executions.getExecution(run.tenant, executionId(run));
      if (
        existing?.status === "RUNNING" &&
        existing.workerId === options.id &&
        existing.startedMs === startedMs
      ) {
        return "started" as const;
      }
      throw err;
    }
  }

  /** Since when every slot is held (undefined while one is free): `slotsFull`. */
  let fullSinceMs: number | undefined;
  /** Runs whose handler is done and whose outcome and ack are under way. */
  let finishing = 0;

  /**
   * Runs that hold a slot: those being started or run, and those finishing
   * beyond `concurrency` (so at most twice `concurrency` runs are in this
   * worker, and a slow store still slows intake).
   */
  function held(): number {
    return running.size - Math.min(finishing, options.concurrency);
  }

  function slotsChanged(): void {
    const full = held() >= options.concurrency;
    if (full) fullSinceMs ??= clock.now();
    else if (fullSinceMs !== undefined) {
      metrics.slotsFull.inc((clock.now() - fullSinceMs) / 1000);
      fullSinceMs = undefined;
    }
  }

  function freeSlot(slot: Slot): void {
    if (slot.freed) return;
    slot.freed = true;
    finishing++;
    slotsChanged();
    intake.pump();
    receiver.wake();
  }

  function spawn(delivery: Delivery): void {
    metrics.inFlight.inc();
    const slot: Slot = { freed: false };
    const p = withRunSpan(delivery, () => handle(delivery, slot))
      .catch((err: unknown) => {
        // Left unacknowledged: the queue delivers it again after the visibility timeout.
        deps.logger.warn({ err, run: delivery.run }, "run not completed; it will be redelivered");
      })
      .finally(() => {
        metrics.inFlight.dec();
        running.delete(p);
        if (slot.freed) finishing--;
        slotsChanged();
        intake.pump();
        receiver.wake();
      });
    running.add(p);
    slotsChanged();
  }

  // Received runs wait here for a slot; at most `concurrency` run at once.
  const intake = createIntake({
    queue,
    concurrency: options.concurrency,
    buffer: options.intakeBuffer ?? options.concurrency,
    running: held,
    blocked: (tenant) => deps.tenantGate?.full(tenant) ?? false,
    start: spawn,
    overflow: (d) =>
      resendOverflow(
        {
          queue,
          clock,
          held: metrics.held,
          logger: deps.logger,
          retryMs: deps.tenantGate?.retryMs ?? 1000,
        },
        d,
      ),
    canStart: () => canWork() && !stopping.signal.aborted,
    visibilityTimeoutS: options.visibilityTimeoutS,
    logger: deps.logger,
  });
  // Takes runs from the three priority queues into the intake.
  const receiver = startReceiver({
    queue,
    intake,
    canReceive: canWork,
    stopping: stopping.signal,
    logger: deps.logger,
    waitMs: RECEIVE_WAIT_MS,
  });

  return {
    get inFlight() {
      return running.size;
    },
    abortRunning(reason) {
      for (const abort of aborts) abort.abort(new SessionLost(reason));
    },
    async stop() {
      stopping.abort();
      receiver.wake();
      await receiver.done;
      // Waiting runs go back at once, for another worker to take.
      await intake.release();
      intake.close();
      const drained = Promise.all(running).then(() => true);
      const timeout = new Promise<false>((r) => setTimeout(() => r(false), options.drainTimeoutMs));
      if (!(await Promise.race([drained, timeout]))) {
        hardStop.abort();
        await Promise.all(running);
      }
      await deps.notifications?.drain();
    },
  };
}

/** A run's slot: freed once its handler is done, before its outcome is written. */
interface Slot {
  freed: boolean;
}
