import { setMaxListeners } from "node:events";
import { settlesWithin } from "../core/clock.js";
import type { Delivery } from "../core/ports/work-queue.js";
import { failureStreak } from "./failure-streak.js";
import { createIntake } from "./intake.js";
import { SessionLost } from "./lost-session.js";
import { createOutcomeRecorder } from "./outcome.js";
import { startReceiver } from "./receiver.js";
import { executeRun } from "./run-execute.js";
import { withRunSpan } from "./run-span.js";
import { receiveRun, startRun } from "./run-start.js";
import { admitForTenant, resendOverflow } from "./tenant-hold.js";
import type { RunScope, WorkerDeps } from "./worker-deps.js";

export type { WorkerDeps, WorkerOptions } from "./worker-deps.js";

/** Long-poll wait of one receive; bounds how long a stopping worker waits for its poll. */
const RECEIVE_WAIT_MS = 5_000;

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
 *
 * This file holds the slots, the intake and receive loop, and the stop; a
 * run's start is in `run-start.ts`, its handler and outcome in `run-execute.ts`.
 */
export function startWorker(deps: WorkerDeps): Worker {
  const canWork = deps.canWork ?? (() => true);
  /** Each running handler's abort, so that a lost session stops them. */
  const aborts = new Set<AbortController>();
  const { queue, executions, clock, metrics, options } = deps;
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

  const scope: RunScope = {
    deps,
    outcomes,
    streak: failureStreak(deps),
    hardStop: hardStop.signal,
    aborts,
    park: (delivery) => intake.park(delivery),
  };

  async function handle(delivery: Delivery, slot: Slot): Promise<void> {
    const received = await receiveRun(scope, delivery);
    if (!received) return;
    const gate = deps.tenantGate;
    if (gate) {
      const { held, parked } = metrics;
      const { logger } = deps;
      const tenantDeps = { gate, queue, clock, held, parked, park: scope.park, logger };
      const { run, target, limits, workflowId } = received;
      const heldRun = { delivery, run, target, limits, workflowId };
      if ((await admitForTenant(tenantDeps, heldRun)) !== "start") return;
    }
    try {
      const started = await startRun(scope, delivery, received);
      if (started) await executeRun(scope, delivery, started, () => freeSlot(slot));
    } finally {
      gate?.release(received.run.tenant);
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
    clock,
    logger: deps.logger,
  });
  // Takes runs from the three priority queues into the intake.
  const receiver = startReceiver({
    queue,
    intake,
    canReceive: canWork,
    stopping: stopping.signal,
    clock,
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
      // A run's promise never rejects (spawn catches), so settling is finishing.
      if (!(await settlesWithin(Promise.all(running), options.drainTimeoutMs, clock))) {
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
