import { setMaxListeners } from "node:events";
import { settlesWithin } from "../core/clock.js";
import type { Delivery } from "../core/ports/work-queue.js";
import { priorityOf } from "../core/priority.js";
import { failureStreak } from "./failure-streak.js";
import { createIntake } from "./intake.js";
import { SessionLost } from "./lost-session.js";
import { createOutcomeRecorder } from "./outcome.js";
import { startReceiver } from "./receiver.js";
import { executeRun } from "./run-execute.js";
import { withRunSpan } from "./run-span.js";
import { receiveRun, startRun } from "./run-start.js";
import { createSlots, type StartToken } from "./slots.js";
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
  // Every run holding or waiting for a slot listens on it.
  const beyond = options.startsBeyondSlots ?? 0;
  setMaxListeners(options.concurrency + beyond + 16, hardStop.signal);
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

  async function handle(delivery: Delivery, stage: Stage): Promise<void> {
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
      if (!started) return;
      // Started: the run keeps the slot its start began in, or waits for one.
      const slot = {
        acquire: () => {
          stage.at = "slot";
          return slots.acquire(stage.token);
        },
        free: () => freeSlot(stage),
        // After `free` (executeRun frees the slot when the handler returns).
        recorded: () => {
          if (stage.at !== "finishing") return;
          stage.at = "recorded";
          slots.finished();
        },
      };
      await executeRun(scope, delivery, started, slot);
    } finally {
      gate?.release(received.run.tenant);
    }
  }

  /** Since when every slot is held (undefined while one is free): `slotsFull`. */
  let fullSinceMs: number | undefined;

  function slotsChanged(): void {
    if (slots.full()) fullSinceMs ??= clock.now();
    else if (fullSinceMs !== undefined) {
      metrics.slotsFull.inc((clock.now() - fullSinceMs) / 1000);
      fullSinceMs = undefined;
    }
  }

  // Handlers run in `concurrency` slots; a slow start gives its slot back (slots.ts).
  const slots = createSlots({
    concurrency: options.concurrency,
    beyond,
    clock,
    // Told only after a run's start awaited something: the intake and the
    // receive loop below exist by then.
    changed: () => {
      slotsChanged();
      intake.pump();
      receiver.wake();
    },
  });

  /** The run's handler returned: its slot takes the next run while it finishes. */
  function freeSlot(stage: Stage): void {
    if (stage.at !== "slot") return;
    stage.at = "finishing";
    slots.release();
  }

  function spawn(delivery: Delivery): void {
    metrics.inFlight.inc();
    const stage: Stage = { at: "starting", token: slots.begin(priorityOf(delivery.priority)) };
    const p = withRunSpan(delivery, () => handle(delivery, stage))
      .catch((err: unknown) => {
        // Left unacknowledged: the queue delivers it again after the visibility timeout.
        deps.logger.warn({ err, run: delivery.run }, "run not completed; it will be redelivered");
      })
      .finally(() => {
        metrics.inFlight.dec();
        running.delete(p);
        // Whatever stage the run ended in, what it held is given back.
        if (stage.at === "starting") slots.abandon(stage.token);
        else if (stage.at !== "recorded") {
          freeSlot(stage);
          slots.finished();
        }
      });
    running.add(p);
    // The start took a slot: the last free one makes every slot held.
    slotsChanged();
  }

  // Received runs wait here until a slot is free for their start (`slots.room`).
  const intake = createIntake({
    queue,
    concurrency: options.concurrency,
    buffer: options.intakeBuffer ?? options.concurrency,
    running: slots.held,
    room: slots.room,
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
    // Runs held ahead reached their time: the receive loop may ask for more.
    changed: () => receiver.wake(),
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

/**
 * Where a run is in this worker: being started (received, admitted, its
 * start write), holding or waiting for a slot (its handler), or finishing
 * (outcome and ack, its slot freed for the next run).
 */
interface Stage {
  /** Recorded: its outcome is written, its message's delete may still wait for a batch. */
  at: "starting" | "slot" | "finishing" | "recorded";
  /** Its start's hold on a slot (`slots.ts`). */
  token: StartToken;
}
