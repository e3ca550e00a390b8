import type { Logger } from "pino";
import { type Clock, every } from "../core/clock.js";
import { plannedStart } from "../core/execution.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import { createTimedHold } from "../core/timed-hold.js";
import { createIntakeOrder, tenantOf } from "./intake-order.js";

export interface IntakeDeps {
  queue: Pick<WorkQueue, "extendAll">;
  /** Runs started at once at most (`worker-concurrency`). */
  concurrency: number;
  /** Runs that may wait here beyond the slots (`worker-intake-buffer`). */
  buffer: number;
  /** Runs in the worker past their start that count against the capacity (`Slots.held`). */
  running(): number;
  /** Runs that may begin their start now (`Slots.room`). */
  room(): number;
  /** True while the tenant's concurrency share is taken on this worker: its runs wait. */
  blocked(tenant: string): boolean;
  /** Starts a run (the worker's `spawn`). */
  start(delivery: Delivery): void;
  /** Sends a waiting run back to the queue with a delay (its tenant's wait list is full). */
  overflow(delivery: Delivery): void;
  /** False while no run may start (paused, session not live, stopping): waiting runs are given back. */
  canStart(): boolean;
  /** The queue's visibility timeout: a waiting run is kept invisible every third of it. */
  visibilityTimeoutS: number;
  /** The heartbeat's timer, and the hold of runs received ahead of their time, run on it. */
  clock: Clock;
  logger: Logger;
  /** Told when runs held ahead reached their time and left the hold (the receive loop may ask again). */
  changed?: () => void;
}

/**
 * Runs received ahead of their planned start (sent ahead: `send-ahead-ms`)
 * are held for it outside the capacity, up to this many per run of capacity;
 * while that many are held, the receive loop asks for none.
 */
export const AHEAD_PER_CAPACITY = 8;

/**
 * Runs the intake keeps beyond its capacity when a receive brought more
 * than the room it asked for: runs sent together share a message (up to 10,
 * `queue-runs-per-message`), and a message's runs come together. Giving the
 * rest back would send each again as a message of its own, behind the
 * backlog (measured in a burst: close to half its runs sent twice).
 */
export const MESSAGE_OVERFLOW = 9;

/** A run due within this many ms is started at once, not held. */
const AHEAD_SLACK_MS = 1;

export interface Intake {
  /** Runs held: running plus waiting here. */
  held(): number;
  /** The most runs held at once: `concurrency + buffer`. */
  readonly capacity: number;
  /** True while the runs held ahead fill their share (`AHEAD_PER_CAPACITY`): receive none. */
  aheadFull(): boolean;
  /**
   * Room for HIGH runs: they may also take the reserve beyond the capacity
   * (a quarter of the concurrency, at least 1).
   */
  highRoom(): number;
  /**
   * Takes a received run if there is room (a HIGH run also in the reserve);
   * false: the caller gives it back. A run received ahead of its planned
   * start is held until then outside the capacity, and always taken.
   */
  offer(delivery: Delivery): boolean;
  /**
   * Files a run held for its tenant's concurrency back into the wait list,
   * to start when one of the tenant's runs here ends; false when the
   * tenant's wait list is full (the caller re-sends it with a delay).
   */
  park(delivery: Delivery): boolean;
  /** Starts what the free slots allow, in the intake's order. */
  pump(): void;
  /** Gives every waiting run, and those held ahead, back to the queue at once (visibility 0), for another worker. */
  release(): Promise<void>;
  close(): void;
}

/**
 * The worker's intake: the runs it received wait here, not back in the
 * queue, until a slot frees, and start in `intake-order.ts`'s order (the
 * priorities' weighted cycle, then the tenants in turn). A run given back to
 * SQS goes behind the whole backlog, so a quiet tenant's run received in a
 * burst would otherwise wait for all of it.
 *
 * Waiting runs stay invisible: received with the queue's visibility timeout,
 * then extended every third of it, all together (`extendAll`: one request
 * per 10 runs on SQS, not one per run). A crashed worker's waiting runs come back
 * to the queue within one visibility timeout. A tenant may keep at most half
 * the buffer waiting while it is blocked, so a blocked tenant never fills
 * the intake against the others; its surplus goes back with a delay
 * (`overflow`).
 *
 * A run received before its planned start (the scheduler sends runs ahead of
 * their time, in full batches: `send-ahead-ms`) is held until then, outside
 * the capacity, and joins the waiting runs at its time: the queue's wait is
 * then spent before the run is due, not after. A start before the planned
 * start never happens here; the start write stays at the run's time, so a
 * pause or delete before it still wins.
 */
export function createIntake(deps: IntakeDeps): Intake {
  const order = createIntakeOrder();
  const capacity = deps.concurrency + deps.buffer;
  /**
   * HIGH runs may be held beyond the capacity, up to this many more: one
   * received while every slot and the buffer are taken (a burst of lower
   * runs) waits here for the next free slot, where the intake's order puts
   * it ahead, instead of in the queue until the buffer drains.
   */
  const highReserve = Math.max(1, Math.floor(deps.concurrency / 4));
  const parkLimit = Math.max(1, Math.floor(deps.buffer / 2));
  const heartbeat = every(
    deps.clock,
    Math.max(1000, (deps.visibilityTimeoutS * 1000) / 3),
    () => {
      const waiting = [...order.all(), ...ahead.all()];
      if (waiting.length === 0) return;
      void deps.queue.extendAll(waiting, deps.visibilityTimeoutS).then((failed) => {
        if (failed.length === 0) return;
        const { error: err } = failed[0]!;
        deps.logger.warn({ err, runs: failed.length }, "could not extend waiting runs' visibility");
      });
    },
    { unref: true },
  );

  const held = () => deps.running() + order.size();

  /** Runs received ahead of their planned start, by it: at their time they join the waiting runs. */
  const ahead = createTimedHold<Delivery>(deps.clock, 0, (due) => {
    for (const d of due) order.add(d);
    pump();
    deps.changed?.();
  });
  const aheadLimit = capacity * AHEAD_PER_CAPACITY;

  function pump(): void {
    if (!deps.canStart()) {
      if (order.size() || ahead.size) void release();
      return;
    }
    while (deps.room() > 0) {
      const next = order.next(deps.blocked);
      if (!next) break;
      deps.start(next);
    }
    // A blocked tenant keeps only its share of the wait list.
    for (const tenant of order.tenants()) {
      const extra = order.size(tenant) - parkLimit;
      if (extra > 0 && deps.blocked(tenant)) {
        for (const d of order.takeLast(tenant, extra)) deps.overflow(d);
      }
    }
  }

  async function release(): Promise<void> {
    const waiting = [...order.drain(), ...ahead.drain()];
    if (waiting.length > 0) await deps.queue.extendAll(waiting, 0);
  }

  return {
    held,
    capacity,
    highRoom: () => capacity + highReserve - held(),
    aheadFull: () => ahead.size >= aheadLimit,
    offer(delivery) {
      const at = plannedStart(delivery.run);
      if (at > deps.clock.now() + AHEAD_SLACK_MS) {
        ahead.add(at, delivery);
        return true;
      }
      const limit = delivery.priority === "HIGH" ? capacity + highReserve : capacity;
      if (held() >= limit + MESSAGE_OVERFLOW) return false;
      order.add(delivery);
      return true;
    },
    park(delivery) {
      if (order.size(tenantOf(delivery)) >= parkLimit) return false;
      order.add(delivery);
      return true;
    },
    pump,
    release,
    close() {
      heartbeat.cancel();
      ahead.drain();
    },
  };
}
