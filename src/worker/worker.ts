import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { executionId, type RunRef } from "../core/execution.js";
import type { JobLimits, JobTarget } from "../core/job.js";
import type { ExecutionStore, StartOutcome } from "../core/ports/execution-store.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import type { HandlerRegistry } from "./handlers/registry.js";
import { type LimitedStartDeps, startUnderLimits } from "./limited-start.js";
import type { WorkerMetrics } from "./metrics.js";
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
  /** Advances workflow runs when a node's run ends; without it, workflows do not advance. */
  workflows?: NodeHook;
}): Worker {
  const canWork = deps.canWork ?? (() => true);
  /** Each running handler's abort, so that a lost session stops them. */
  const aborts = new Set<AbortController>();
  const { queue, jobs, executions, handlers, clock, metrics, options } = deps;
  const stopping = new AbortController();
  const hardStop = new AbortController();
  const running = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;

  async function handle(delivery: Delivery): Promise<void> {
    const { run } = delivery;
    const id = executionId(run);
    const logger = deps.logger.child({ executionId: id, jobId: run.jobId, workerId: options.id });
    // The target rides along with a run sent by a claim; a resent run has
    // none and the job is read.
    let target = delivery.target;
    let limits = delivery.limits;
    let workflowId = delivery.workflowId;
    if (!target) {
      const job = await jobs.getJob(run.jobId);
      if (!job) {
        logger.warn("job no longer exists; dropping run");
        await queue.ack(delivery);
        return;
      }
      target = job.target;
      limits = job.limits;
      workflowId = job.workflowId;
    }
    if (!deps.limits) limits = undefined;
    const startedMs = clock.now();
    const outcome = limits
      ? await startLimited(delivery, target, limits, logger)
      : await startOnce(run, startedMs, delivery.sentMs);
    if (outcome === "held") return;
    if (outcome === "duplicate") {
      metrics.duplicates.inc();
      logger.info({ receiveCount: delivery.receiveCount }, "already recorded; skipping redelivery");
      if (workflowId) await deps.workflows?.redelivered(workflowId, run);
      await queue.ack(delivery);
      return;
    }
    if (outcome === "job_inactive") {
      await executions.cancelExecution(
        run,
        "the job was paused or cancelled before the run started",
        startedMs,
      );
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
    let result: { ok: boolean; summary: string };
    const timer = metrics.duration.startTimer({ type: target.type });
    const abort = new AbortController();
    aborts.add(abort);
    const stopWatch =
      limits?.overlap === "CANCEL_PREVIOUS" ? watchCancel(id, abort, logger) : undefined;
    const onHardStop = () => abort.abort(hardStop.signal.reason);
    hardStop.signal.addEventListener("abort", onHardStop);
    try {
      result = handler
        ? await handler.run(target as never, {
            executionId: id,
            jobId: run.jobId,
            scheduledMs: run.scheduledMs,
            attempt: run.attempt,
            signal: abort.signal,
            logger,
          })
        : { ok: false, summary: `no handler for job type "${target.type}" on this worker` };
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
    const cancelled = abort.signal.reason instanceof RunCancelled;
    if (cancelled) result = { ok: false, summary: (abort.signal.reason as RunCancelled).message };
    const status = result.ok ? "SUCCEEDED" : cancelled ? "CANCELLED" : "FAILED";
    const recorded = await withRetries(logger, () =>
      executions.finishExecution(id, options.id, {
        status,
        endedMs: clock.now(),
        ...(result.ok ? { result: result.summary } : { error: result.summary }),
      }),
    );
    let ours = recorded;
    if (!recorded) {
      // A retried write whose first try was applied also lands here.
      const stored = await executions.getExecution(id);
      ours = stored?.status === status && stored.workerId === options.id;
      if (!ours) {
        logger.warn("execution was no longer held by this worker; outcome not recorded");
      }
    }
    metrics.runs.inc({ outcome: status.toLowerCase() });
    logger.info({ status, ms: clock.now() - startedMs }, "run finished");
    // The one spot where a node's final outcome advances its workflow run.
    // A retried run reports only its last attempt; a DEAD run must report too.
    if (workflowId && ours) await deps.workflows?.finished(workflowId, run, status);
    await queue.ack(delivery);
  }

  /**
   * Starts a run of a job with limits. A run that must wait is sent again
   * with a delay and this delivery removed ("held"); one the overlap policy
   * drops is recorded SKIPPED and removed ("held" too).
   */
  async function startLimited(
    delivery: Delivery,
    target: JobTarget,
    limits: JobLimits,
    logger: Logger,
  ): Promise<StartOutcome | "held"> {
    const start = await startUnderLimits(
      { ...deps.limits!, clock },
      delivery.run,
      limits,
      options.id,
      delivery.sentMs,
    );
    if (start.kind === "waiting") {
      await queue.send([
        { ...delivery.run, target, limits, delayMs: Math.max(0, start.untilMs - clock.now()) },
      ]);
      await queue.ack(delivery);
      metrics.limited.inc({ action: "waited" });
      logger.debug({ reason: start.reason, untilMs: start.untilMs }, "run waits for its limits");
      return "held";
    }
    if (start.kind === "skipped") {
      await queue.ack(delivery);
      metrics.limited.inc({ action: "skipped" });
      logger.info({ reason: start.reason }, "run skipped by the overlap policy");
      return "held";
    }
    return start.kind;
  }

  /** Aborts the run when a newer run asks it to stop (overlap CANCEL_PREVIOUS). */
  function watchCancel(id: string, abort: AbortController, logger: Logger): () => void {
    const timer = setInterval(() => {
      deps.limits?.limits
        .cancelRequested(id)
        .then((reason) => {
          if (reason && !abort.signal.aborted) abort.abort(new RunCancelled(reason));
        })
        .catch((err: unknown) => logger.warn({ err }, "could not check for a cancel request"));
    }, deps.limits?.cancelCheckMs ?? 1000);
    return () => clearInterval(timer);
  }

  /**
   * Starts the execution. A start whose answer was lost (timeout) may still
   * have been written: then the record is ours and the run goes on.
   */
  async function startOnce(run: RunRef, startedMs: number, queuedMs: number) {
    try {
      return await executions.startExecution(run, options.id, startedMs, queuedMs);
    } catch (err) {
      const existing = await executions.getExecution(executionId(run));
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

  function spawn(delivery: Delivery): void {
    metrics.inFlight.inc();
    const p = handle(delivery)
      .catch((err: unknown) => {
        // Left unacknowledged: the queue delivers it again after the visibility timeout.
        deps.logger.warn({ err, run: delivery.run }, "run not completed; it will be redelivered");
      })
      .finally(() => {
        metrics.inFlight.dec();
        running.delete(p);
        slotFreed?.();
      });
    running.add(p);
  }

  async function poll(): Promise<void> {
    let backoffMs = 100;
    while (!stopping.signal.aborted) {
      if (!canWork()) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const free = options.concurrency - running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve;
        });
        slotFreed = undefined;
        continue;
      }
      try {
        // Not aborted on stop: an abandoned long poll can still be handed a
        // message, which would then stay invisible for a visibility timeout.
        // A short wait keeps stop quick; what arrives after stop goes back.
        const deliveries = await queue.receive(free, RECEIVE_WAIT_MS);
        if (stopping.signal.aborted) {
          await Promise.all(deliveries.map((d) => queue.extend(d, 0).catch(() => {})));
          break;
        }
        for (const d of deliveries) spawn(d);
        backoffMs = 100;
      } catch (err) {
        if (stopping.signal.aborted) break;
        deps.logger.warn({ err }, "receive failed; retrying");
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(5000, backoffMs * 2);
      }
    }
  }

  const polling = poll();

  return {
    get inFlight() {
      return running.size;
    },
    abortRunning(reason) {
      for (const abort of aborts) abort.abort(new Error(reason));
    },
    async stop() {
      stopping.abort();
      slotFreed?.();
      await polling;
      const drained = Promise.all(running).then(() => true);
      const timeout = new Promise<false>((r) => setTimeout(() => r(false), options.drainTimeoutMs));
      if (!(await Promise.race([drained, timeout]))) {
        hardStop.abort();
        await Promise.all(running);
      }
    },
  };
}

/** Why a run was aborted when a newer run of its job cancelled it. */
class RunCancelled extends Error {}

async function withRetries<T>(logger: Logger, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 5) throw err;
      logger.warn({ err, attempt }, "store write failed; retrying");
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
