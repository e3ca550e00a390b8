import { every } from "../core/clock.js";
import { type Execution, latenessOf } from "../core/execution.js";
import type { Delivery } from "../core/ports/work-queue.js";
import { priorityOf } from "../core/priority.js";
import { RunCancelled, watchCancel } from "./cancel-watch.js";
import { checkpointFor } from "./checkpoint.js";
import type { HandlerResult } from "./handlers/handler.js";
import { handOverLostRun, SessionLost } from "./lost-session.js";
import { observePhase } from "./metrics.js";
import type { RunEvent } from "./outcome.js";
import { markRunStatus } from "./run-span.js";
import type { StartedRun } from "./run-start.js";
import type { RunScope } from "./worker-deps.js";

/** A started run's place in the worker's slots (`slots.ts`). */
export interface RunSlot {
  /** Resolves once a slot is the run's (at once when one is free). */
  acquire(): Promise<void>;
  /** The handler is done: the slot takes the next run while this one finishes. */
  free(): void;
  /**
   * Its outcome is recorded: what is left, removing its message (a delete
   * that waits to share a batch), no longer counts as finishing.
   */
  recorded(): void;
}

/**
 * Runs a started run's handler once it has a slot, then records its outcome
 * and removes its message. The slot is freed once the handler is done: it
 * takes the next run while the outcome is written.
 */
export async function executeRun(
  scope: RunScope,
  delivery: Delivery,
  started: StartedRun,
  slot: RunSlot,
): Promise<void> {
  const { result, reason } = await callHandler(scope, delivery, started, slot);
  slot.free();
  const { deps } = scope;
  const { queue, options } = deps;
  const { run, logger } = started;
  // A call that completed before the abort keeps its outcome.
  if (reason instanceof SessionLost && !result.ok) {
    const handOver = { ...deps, workerId: options.id, logger };
    try {
      await handOverLostRun(
        { ...handOver, recheckMs: options.lostRunRecheckMs ?? 10_000 },
        run,
        reason.message,
      );
      await queue.ack(delivery);
    } catch (err) {
      // Left RUNNING: the leader re-queues it once this worker's lease lapses.
      logger.warn({ err }, "could not hand over a run aborted by a lost session");
    }
    return;
  }
  // A newer run of the job stopped this one (overlap CANCEL_PREVIOUS): it ends CANCELLED.
  const cancelled = reason instanceof RunCancelled ? reason.message : undefined;
  await finishRun(scope, delivery, started, result, cancelled, slot);
}

/**
 * The handler's call, with the message kept invisible every third of the
 * visibility timeout (while the run waits for its slot too), a
 * CANCEL_PREVIOUS watch, and the worker's hard stop. A run aborted while it
 * waited for its slot (a lost session, the hard stop) is not called.
 * Returns its result and why it was aborted, if it was.
 */
async function callHandler(
  scope: RunScope,
  delivery: Delivery,
  started: StartedRun,
  slot: RunSlot,
): Promise<{ result: HandlerResult; reason: unknown }> {
  const { deps, hardStop } = scope;
  const { queue, clock, metrics, options, executions } = deps;
  const { run, id, logger, target, limits, inherited } = started;
  const handler = deps.handlers.get(target.type);
  const heartbeat = every(clock, Math.max(1000, (options.visibilityTimeoutS * 1000) / 3), () => {
    queue.extend(delivery, options.visibilityTimeoutS).catch((err: unknown) => {
      logger.warn({ err }, "could not extend message visibility");
    });
  });
  let result: HandlerResult;
  const abort = new AbortController();
  scope.aborts.add(abort);
  const onHardStop = () => abort.abort(hardStop.reason);
  if (hardStop.aborted) onHardStop();
  else hardStop.addEventListener("abort", onHardStop);
  let stopWatch: (() => void) | undefined;
  let timer: (() => void) | undefined;
  try {
    const waitingMs = clock.now();
    await slot.acquire();
    observePhase(metrics, "slot_wait", delivery, clock.now() - waitingMs);
    if (abort.signal.aborted) {
      // Aborted while it waited for its slot: never called, ended as an aborted call ends.
      result = {
        ok: false,
        summary: `aborted before its handler was called: ${String(abort.signal.reason)}`,
        retryable: true,
      };
    } else {
      timer = metrics.duration.startTimer({ type: target.type });
      stopWatch =
        limits?.overlap === "CANCEL_PREVIOUS" && deps.limits
          ? watchCancel({ ...deps.limits, clock }, id, abort, logger)
          : undefined;
      const late = latenessOf(run, clock.now());
      if (late !== undefined) {
        metrics.handlerLateness.observe({ priority: priorityOf(delivery.priority) }, late / 1000);
      }
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
    }
  } catch (err) {
    logger.error({ err }, "handler threw");
    result = { ok: false, summary: `handler error: ${String(err)}` };
  } finally {
    heartbeat.cancel();
    stopWatch?.();
    timer?.();
    scope.aborts.delete(abort);
    hardStop.removeEventListener("abort", onHardStop);
  }
  return { result, reason: abort.signal.reason };
}

/**
 * Records the outcome (success, failure, a retry or a dead run: outcome.ts),
 * tells notifications and the workflow of a final one, then removes the message.
 */
async function finishRun(
  scope: RunScope,
  delivery: Delivery,
  started: StartedRun,
  result: HandlerResult,
  cancelled: string | undefined,
  slot: Pick<RunSlot, "recorded">,
): Promise<void> {
  const { deps } = scope;
  const { queue, clock, metrics, options } = deps;
  const { run, id, logger, target, job, workflowId, startedMs } = started;
  /** Set when the run's outcome is final (no retry follows): what a workflow run hears. */
  let finalStatus: "SUCCEEDED" | "FAILED" | "CANCELLED" | undefined;
  /** The final outcome, for the job's count of failed runs in a row. */
  let final: { event: RunEvent; execution: Execution } | undefined;
  const recordingMs = clock.now();
  const status = await scope.outcomes.record({
    run,
    id,
    target,
    result,
    logger,
    cancelled,
    onFinal: ({ event, summary }) => {
      finalStatus = event === "succeeded" ? "SUCCEEDED" : "FAILED";
      const execution: Execution = {
        ...run,
        id,
        status: event === "succeeded" ? "SUCCEEDED" : event === "dead" ? "DEAD" : "FAILED",
        workerId: options.id,
        startedMs,
        endedMs: clock.now(),
        ...(event === "succeeded" ? { result: summary } : { error: summary }),
      };
      final = { event, execution };
      void deps.notifications?.afterOutcome(
        event,
        { ...(job ? { job } : {}), ...(delivery.notify ? { notify: true } : {}) },
        execution,
      );
    },
  });
  // After the run's own notification: PAUSED and RECOVERED follow it.
  if (final) {
    await scope.streak.afterFinal(final.event, final.execution, started.inherited.failing, logger);
  }
  observePhase(metrics, "outcome_write", delivery, clock.now() - recordingMs);
  // Counted as before even when the outcome was not recorded (the run was lost).
  metrics.runs.inc({ outcome: (status ?? (result.ok ? "SUCCEEDED" : "FAILED")).toLowerCase() });
  if (status === "CANCELLED") finalStatus = "CANCELLED";
  markRunStatus(status);
  logger.info({ status, ms: clock.now() - startedMs }, "run finished");
  // The one spot where a node's final outcome advances its workflow run:
  // a run that a retry follows does not report; a DEAD one reports FAILED.
  if (workflowId && finalStatus) await deps.workflows?.finished(workflowId, run, finalStatus);
  const ackingMs = clock.now();
  slot.recorded();
  await queue.ack(delivery);
  observePhase(metrics, "ack", delivery, clock.now() - ackingMs);
}
