import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { plannedStart } from "../core/execution.js";
import type { OutgoingRun, WorkQueue } from "../core/ports/work-queue.js";
import { type RetrySchedule, retry } from "../core/retry.js";
import { createTimedHold } from "../core/timed-hold.js";
import { interleaveByTenant } from "./interleave.js";

/**
 * How long a due run waits for runs due just after it, to go in one
 * SendMessageBatch (up to 10 messages per request, one price). A run is sent
 * at most this late, never early: at 250 runs a second spread evenly, 5 ms
 * puts about two runs in a request instead of one.
 */
export const SEND_GATHER_MS = 5;

/**
 * With a send-ahead (`send-ahead-ms`), how much of it a run may wait for
 * runs due after it: half. A run is sent between its planned start minus
 * the send-ahead and that plus half of it, together with every run whose
 * send-ahead has begun, so at 100 runs a second a 500 ms send-ahead puts
 * about 25 runs in each round: full batches of 10.
 */
export const AHEAD_GATHER_SHARE = 0.5;

/** Five tries of a send, 0.2 s doubling between them. */
const SEND_RETRIES: RetrySchedule = { attempts: 5, baseMs: 200, maxMs: 1_600 };

/** What the dispatcher counts (the scheduler's metrics, or the dispatch thread's relay of them). */
export interface DispatchMetrics {
  fireLateness: { observe(seconds: number): void };
  sent: { inc(count: number): void };
  sendFailures: { inc(): void };
}

export interface Dispatcher {
  /** Holds claimed runs until their scheduled time (or planned start in their window), then sends them. */
  hold(runs: OutgoingRun[]): void;
  /** Runs held and not yet sent. */
  readonly pending: number;
  /** Sends everything due, waits for sends under way; later runs are dropped (the sweep re-sends them). */
  close(): Promise<void>;
}

/**
 * Holds claimed runs in memory until their time (less the send-ahead) and
 * sends them in batches: those due within the gather window of each other go
 * together. A run lost here (crash, send failure) is not lost for good: its
 * claim is durable and the recovery sweep sends it again.
 */
export function createDispatcher(deps: {
  queue: Pick<WorkQueue, "send">;
  clock: Clock;
  metrics: DispatchMetrics;
  logger: Logger;
  /** `SEND_GATHER_MS` unless given; with a send-ahead, `AHEAD_GATHER_SHARE` of it. */
  gatherMs?: number;
  /**
   * How long before its planned start a run is sent (`send-ahead-ms`; 0 or
   * absent: at its time). The worker holds a run received early until its
   * planned start (`src/worker/intake.ts`).
   */
  aheadMs?: number;
}): Dispatcher {
  const { queue, clock, metrics, logger } = deps;
  const aheadMs = deps.aheadMs ?? 0;
  const gatherMs =
    deps.gatherMs ?? (aheadMs > 0 ? Math.floor(aheadMs * AHEAD_GATHER_SHARE) : SEND_GATHER_MS);
  let closed = false;
  const inFlight = new Set<Promise<void>>();
  /** Held runs by the ms from which they may be sent (planned start minus the send-ahead). */
  const held = createTimedHold<OutgoingRun>(clock, gatherMs, (due) =>
    // Tenants round-robin: one tenant's burst does not queue ahead of another's runs.
    send(interleaveByTenant(due)),
  );

  function send(runs: OutgoingRun[]): void {
    const p = (async () => {
      try {
        // After close, a failed send is not tried again: the sweep resends.
        await retry(SEND_RETRIES, () => queue.send(runs), clock, {
          retryable: () => !closed,
          onRetry: () => metrics.sendFailures.inc(),
        });
        const sentAt = clock.now();
        for (const run of runs) metrics.fireLateness.observe((sentAt - plannedStart(run)) / 1000);
        metrics.sent.inc(runs.length);
      } catch (err) {
        metrics.sendFailures.inc();
        logger.error({ err, runs: runs.length }, "send failed; the recovery sweep will resend");
      }
    })();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  return {
    hold(runs) {
      if (closed) return;
      // A run with a flexible window waits for its planned start, not its time.
      for (const run of runs) held.add(plannedStart(run) - aheadMs, run);
    },
    get pending() {
      return held.size;
    },
    async close() {
      held.flush();
      closed = true;
      // Runs not yet due are dropped (the recovery sweep of the next owner sends them).
      held.drain();
      await Promise.all(inFlight);
    },
  };
}
