import type { Logger } from "pino";
import { type BackoffPolicy, backoffDelay } from "../core/backoff.js";
import type { Clock, Timer } from "../core/clock.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import type { Priority } from "../core/priority.js";
import type { Intake } from "./intake.js";
import { receiveOrder, splitSlots } from "./priority-order.js";

/**
 * How long the loop waits before its next receive when one brought fewer
 * runs than it asked for (and at least one): runs arriving a few ms apart
 * then come 2–5 to a ReceiveMessage instead of one each (at 250 a second,
 * about 0.3 requests per run instead of 1.1). A run that arrives just after
 * a receive is taken at most this much later.
 */
export const RECEIVE_GATHER_MS = 10;

/**
 * The receive loop's pause after failed receives: 0.1 s doubling to 5 s.
 * The loop itself is no retry (it runs for the worker's life), but its
 * pauses come from the one backoff.
 */
const RECEIVE_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };

export interface ReceiverDeps {
  queue: WorkQueue;
  /** Where received runs wait for a slot; the loop asks only for the room it has. */
  intake: Pick<Intake, "offer" | "pump" | "held" | "capacity" | "highRoom" | "aheadFull">;
  /** False while the worker may take no runs (paused, or its cluster session is not live). */
  canReceive(): boolean;
  stopping: AbortSignal;
  /** Timers of the loop: a wait for a wake, the pause after a failed poll. */
  clock: Clock;
  logger: Logger;
  /** Long-poll wait when every queue is empty; bounds how long a stop waits for its polls. */
  waitMs: number;
  /** `RECEIVE_GATHER_MS` unless given. */
  gatherMs?: number;
}

export interface Receiver {
  /** Re-evaluates at once: a slot was freed, or the worker is stopping. */
  wake(): void;
  /** Resolves when the loop has ended after `stopping` aborted and its polls returned. */
  readonly done: Promise<void>;
}

/**
 * The worker's receive loop over the three priority queues. Each receive asks
 * the queues in `receiveOrder(n)` with a short poll, for as many runs as there
 * are free slots, and takes from the first that has runs (the weighted round
 * robin of `priority-order.ts`). When all are empty it long-polls every queue
 * at once, splitting the free slots between them, so that no queue waits for
 * another's poll; while a queue's long poll is out, receives skip that queue
 * (the poll stands for it) and ask the others. A queue found empty by a
 * receive that took runs elsewhere gets a standby poll (for 1 run) that
 * stands for it the same way. When one queue is left to ask, it is asked
 * with a long poll at once: that answers as a short poll would when the
 * queue has runs, and saves the empty short poll before the wait when not.
 * A receive that brought fewer runs than asked waits `RECEIVE_GATHER_MS`
 * before the next, so that a steady trickle is received in batches.
 * Received runs go to the intake (`intake.ts`), which starts them in order
 * as slots free. The loop asks for no more than the intake's room (its
 * capacity minus the runs it holds); a poll that brings more (or arrives
 * while paused or stopping) gives the extra runs back at once (visibility 0).
 */
export function startReceiver(deps: ReceiverDeps): Receiver {
  const { queue, intake, stopping, clock, logger } = deps;
  const gatherMs = deps.gatherMs ?? RECEIVE_GATHER_MS;
  /** Queues with a long poll out now. */
  const polls = new Set<Priority>();
  const running = new Set<Promise<void>>();
  let woken: (() => void) | undefined;
  /** A wake that came while the loop was busy: the next wait returns at once. */
  let missedWake = false;
  let receives = 0;

  function wake(): void {
    const w = woken;
    woken = undefined;
    if (w) w();
    else missedWake = true;
  }

  /** Waits `ms`, or less when the worker stops; slot wakes do not cut it short. */
  function pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    // The Clock's sleep rejects when the stop aborts it: that ends the pause too.
    return clock.sleep(ms, stopping).catch(() => {});
  }

  function nextWake(timeoutMs?: number): Promise<void> {
    if (missedWake) {
      missedWake = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        timer?.cancel();
        if (woken === done) woken = undefined;
        resolve();
      };
      const timer: Timer | undefined =
        timeoutMs === undefined ? undefined : clock.setTimeout(done, timeoutMs);
      woken = done;
    });
  }

  /** Files what the intake has room for and starts what the slots allow; gives back the rest. */
  function accept(deliveries: Delivery[]): void {
    const back: Delivery[] = [];
    for (const d of deliveries) {
      if (stopping.aborted || !deps.canReceive() || !intake.offer(d)) back.push(d);
    }
    if (back.length > 0) {
      // One request for the runs of a receive given back (extendAll never rejects).
      const release = queue.extendAll(back, 0).then(() => {});
      running.add(release);
      void release.finally(() => running.delete(release));
    }
    intake.pump();
  }

  /**
   * Long-polls `queues` at once; each resolves on its own and wakes the loop.
   * A standby poll (for 1 run) only watches an empty queue while the worker
   * is busy elsewhere; what it brings waits in the intake like any run, and
   * starts in the intake's order (the same weighted cycle). A poll that
   * stands in for a receive (`gather`) keeps its queue `gatherMs` longer
   * when it brought fewer runs than it asked for.
   */
  function longPoll(queues: Priority[], free: number, gather = false): void {
    for (const [priority, slots] of splitSlots(free, queues)) {
      polls.add(priority);
      // Not aborted on stop: an abandoned long poll can still be handed a
      // message, which would then stay invisible for a visibility timeout.
      const p = queue
        .receive(slots, deps.waitMs, undefined, priority)
        .then(
          async (deliveries) => {
            accept(deliveries);
            // Fewer runs than asked: the poll that stood in for a receive
            // stands a few ms more, so that what arrives next comes in one
            // receive. A long poll answers on a send's first message, and
            // the rest of that send lands within a few ms.
            if (gather && deliveries.length > 0 && deliveries.length < slots) {
              await pause(gatherMs);
            }
          },
          async (err: unknown) => {
            if (!stopping.aborted) logger.warn({ err, priority }, "receive failed; retrying");
            await clock.sleep(500);
          },
        )
        .finally(() => {
          polls.delete(priority);
          running.delete(p);
          wake();
        });
      running.add(p);
    }
  }

  async function loop(): Promise<void> {
    /** Receives failed in a row. */
    let failures = 0;
    while (!stopping.aborted) {
      if (!deps.canReceive()) {
        // The intake gives its waiting runs back while none may start.
        intake.pump();
        await nextWake(200);
        continue;
      }
      // Long polls out do not reserve room: one waiting on an empty queue
      // must not hold back runs of another. What they bring beyond the
      // intake's room is given back (`accept`).
      // Runs held for their time fill a share of their own: while it is
      // full, none are asked for (a HIGH run still has its reserve).
      const free = intake.aheadFull() ? 0 : intake.capacity - intake.held();
      const order = receiveOrder(receives).filter((p) => !polls.has(p));
      if (free <= 0 || order.length === 0) {
        // A full intake still watches the HIGH queue for its reserve: a HIGH
        // run due in a burst waits for the next free slot, not for the
        // intake to drain and the receive cycle to come round to HIGH.
        const highRoom = intake.highRoom();
        if (free <= 0 && highRoom > 0 && !polls.has("HIGH")) longPoll(["HIGH"], highRoom);
        await nextWake();
        continue;
      }
      if (order.length === 1 && deps.waitMs > 0) {
        // One queue to ask (the others have polls out): a long poll answers
        // at once when it has runs and waits when it has none, where a short
        // poll would come back empty and be followed by one. So a busy
        // worker's rounds cost a receive each fewer.
        receives++;
        longPoll(order, free, true);
        await nextWake();
        continue;
      }
      receives++;
      try {
        let got = false;
        const empty: Priority[] = [];
        for (const priority of order) {
          const deliveries = await queue.receive(free, 0, undefined, priority);
          if (deliveries.length === 0) {
            empty.push(priority);
            continue;
          }
          accept(deliveries);
          got = true;
          // A trickle: let a few more arrive before asking again.
          if (deliveries.length < Math.min(10, free)) await pause(gatherMs);
          break;
        }
        failures = 0;
        if (stopping.aborted) continue;
        if (!got) {
          longPoll(order, free);
          await nextWake();
        } else {
          // A queue found empty gets a standby poll that stands for it until
          // it returns: a busy worker does not ask an empty queue again and
          // again (all-MEDIUM work keeps one receive call per receive), and
          // the queue is asked again as soon as something arrives there.
          for (const priority of empty) longPoll([priority], 1);
        }
      } catch (err) {
        if (stopping.aborted) break;
        logger.warn({ err }, "receive failed; retrying");
        await nextWake(backoffDelay(RECEIVE_BACKOFF, ++failures));
      }
    }
    while (running.size) await Promise.all(running);
  }

  return { wake, done: loop() };
}
