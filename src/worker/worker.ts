import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { executionId, type RunRef } from "../core/execution.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import type { HandlerRegistry } from "./handlers/registry.js";
import type { WorkerMetrics } from "./metrics.js";
import { startReceiver } from "./receiver.js";

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
}): Worker {
  const canWork = deps.canWork ?? (() => true);
  /** Each running handler's abort, so that a lost session stops them. */
  const aborts = new Set<AbortController>();
  const { queue, jobs, executions, handlers, clock, metrics, options } = deps;
  const stopping = new AbortController();
  const hardStop = new AbortController();
  const running = new Set<Promise<void>>();

  async function handle(delivery: Delivery): Promise<void> {
    const { run } = delivery;
    const id = executionId(run);
    const logger = deps.logger.child({ executionId: id, jobId: run.jobId, workerId: options.id });
    // The target rides along with a run sent by a claim; a resent run has
    // none and the job is read.
    let target = delivery.target;
    if (!target) {
      const job = await jobs.getJob(run.jobId);
      if (!job) {
        logger.warn("job no longer exists; dropping run");
        await queue.ack(delivery);
        return;
      }
      target = job.target;
    }
    const startedMs = clock.now();
    const outcome = await startOnce(run, startedMs, delivery.sentMs);
    if (outcome === "duplicate") {
      metrics.duplicates.inc();
      logger.info({ receiveCount: delivery.receiveCount }, "already recorded; skipping redelivery");
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
      timer();
      aborts.delete(abort);
      hardStop.signal.removeEventListener("abort", onHardStop);
    }
    const status = result.ok ? "SUCCEEDED" : "FAILED";
    const recorded = await withRetries(logger, () =>
      executions.finishExecution(id, options.id, {
        status,
        endedMs: clock.now(),
        ...(result.ok ? { result: result.summary } : { error: result.summary }),
      }),
    );
    if (!recorded) {
      // A retried write whose first try was applied also lands here.
      const stored = await executions.getExecution(id);
      if (stored?.status !== status || stored.workerId !== options.id) {
        logger.warn("execution was no longer held by this worker; outcome not recorded");
      }
    }
    metrics.runs.inc({ outcome: result.ok ? "succeeded" : "failed" });
    logger.info({ status, ms: clock.now() - startedMs }, "run finished");
    await queue.ack(delivery);
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
        receiver.wake();
      });
    running.add(p);
  }

  // Takes runs from the three priority queues, at most `concurrency` at once.
  const receiver = startReceiver({
    queue,
    concurrency: options.concurrency,
    held: () => running.size,
    spawn,
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
      for (const abort of aborts) abort.abort(new Error(reason));
    },
    async stop() {
      stopping.abort();
      receiver.wake();
      await receiver.done;
      const drained = Promise.all(running).then(() => true);
      const timeout = new Promise<false>((r) => setTimeout(() => r(false), options.drainTimeoutMs));
      if (!(await Promise.race([drained, timeout]))) {
        hardStop.abort();
        await Promise.all(running);
      }
    },
  };
}

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
