import type { Clock } from "../../core/clock.js";
import type {
  Delivery,
  ExtendFailure,
  OutgoingRun,
  QueueDepth,
  WorkQueue,
} from "../../core/ports/work-queue.js";
import { DEFAULT_PRIORITY, PRIORITIES, type Priority } from "../../core/priority.js";
import { copy } from "./memory-db.js";

/** SQS's longest delay and largest receive, kept so that memory behaves as production does. */
const MAX_DELAY_MS = 900_000;
const MAX_RECEIVE = 10;

interface Message {
  delivery: Omit<Delivery, "handle" | "receiveCount">;
  /** Not received before this (a delay, or a visibility timeout after a receive). */
  visibleAt: number;
  receiveCount: number;
  /** The handle of the latest receive; ack and extend with another do nothing. */
  handle?: string;
}

export interface MemoryWorkQueue extends WorkQueue {
  /** Runs delivered more than `maxReceiveCount` times, as SQS's redrive would move them. */
  deadLetters(): Delivery[];
}

/**
 * The run queues in memory, one per priority, with SQS's semantics: a
 * received run is invisible for the visibility timeout and delivered again
 * unless acknowledged, `extend` moves that timeout, a delay holds a run back
 * (at most 15 minutes), a long poll waits for a send. Times come from the
 * injected clock.
 */
export function createMemoryWorkQueue(options: {
  clock: Clock;
  visibilityTimeoutS: number;
  maxReceiveCount: number;
}): MemoryWorkQueue {
  const { clock } = options;
  const queues = new Map<Priority, Message[]>(PRIORITIES.map((p) => [p, []]));
  const dead: Delivery[] = [];
  const waiters = new Set<() => void>();
  let handles = 0;

  const queueOf = (priority: Priority = DEFAULT_PRIORITY) => queues.get(priority)!;

  function take(max: number, priority: Priority): Delivery[] {
    const now = clock.now();
    const out: Delivery[] = [];
    const queue = queueOf(priority);
    for (const m of [...queue]) {
      if (out.length >= Math.min(MAX_RECEIVE, Math.max(1, max))) break;
      if (m.visibleAt > now) continue;
      if (m.receiveCount >= options.maxReceiveCount) {
        queue.splice(queue.indexOf(m), 1);
        dead.push({ ...copy(m.delivery), receiveCount: m.receiveCount, handle: "" });
        continue;
      }
      m.receiveCount++;
      m.handle = `h${++handles}`;
      m.visibleAt = now + options.visibilityTimeoutS * 1000;
      out.push({ ...copy(m.delivery), receiveCount: m.receiveCount, handle: m.handle });
    }
    return out;
  }

  /** Resolves on a send, when a held message may have become visible, or after `ms`. */
  function waitForChange(ms: number, priority: Priority, signal?: AbortSignal): Promise<void> {
    const now = clock.now();
    let soonest = now + ms;
    for (const m of queueOf(priority))
      if (m.visibleAt > now) soonest = Math.min(soonest, m.visibleAt);
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        waiters.delete(done);
        timer.cancel();
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      const timer = clock.setTimeout(done, soonest - now);
      waiters.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  function find(delivery: Delivery): Message | undefined {
    return queueOf(delivery.priority).find((m) => m.handle === delivery.handle);
  }

  /** Moves the message's visibility timeout; false when it is gone (its handle is not the latest). */
  function moveVisibility(delivery: Delivery, seconds: number): boolean {
    const m = find(delivery);
    if (m) m.visibleAt = clock.now() + Math.min(43_200, Math.max(0, Math.round(seconds))) * 1000;
    return m !== undefined;
  }

  function wakeAll(): void {
    for (const wake of [...waiters]) wake();
  }

  function depthOf(priority: Priority): QueueDepth {
    const now = clock.now();
    const depth = { visible: 0, inFlight: 0, delayed: 0 };
    for (const m of queueOf(priority)) {
      if (m.visibleAt <= now) depth.visible++;
      else if (m.handle) depth.inFlight++;
      else depth.delayed++;
    }
    return depth;
  }

  return {
    async init() {},

    async send(runs: OutgoingRun[]) {
      const now = clock.now();
      for (const {
        priority,
        delayMs,
        trace,
        target,
        limits,
        notify,
        workflowId,
        claimed,
        failing,
        ...run
      } of runs) {
        const delivery: Message["delivery"] = {
          run: copy(run),
          sentMs: now,
          priority: priority ?? DEFAULT_PRIORITY,
          ...(target ? { target: copy(target) } : {}),
          ...(target && limits ? { limits: copy(limits) } : {}),
          ...(notify ? { notify } : {}),
          ...(workflowId ? { workflowId } : {}),
          ...(claimed ? { claimed } : {}),
          ...(failing !== undefined ? { failing } : {}),
          ...(trace ? { trace: copy(trace) } : {}),
        };
        // SQS delays in whole seconds.
        const delay = delayMs ? Math.min(MAX_DELAY_MS, Math.ceil(delayMs / 1000) * 1000) : 0;
        queueOf(priority).push({ delivery, visibleAt: now + delay, receiveCount: 0 });
      }
      wakeAll();
    },

    async receive(max, waitMs, signal, priority = DEFAULT_PRIORITY) {
      const deadline = clock.now() + waitMs;
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const got = take(max, priority);
        const left = deadline - clock.now();
        if (got.length > 0 || left <= 0) return got;
        await waitForChange(left, priority, signal);
      }
    },

    async ack(delivery) {
      const m = find(delivery);
      if (m) queueOf(delivery.priority).splice(queueOf(delivery.priority).indexOf(m), 1);
    },

    async extend(delivery, seconds) {
      if (moveVisibility(delivery, seconds) && seconds <= 0) wakeAll();
    },

    async extendAll(deliveries, seconds) {
      const failed: ExtendFailure[] = [];
      for (const delivery of deliveries) {
        if (!moveVisibility(delivery, seconds))
          failed.push({
            delivery,
            error: new Error("the message is gone (acknowledged or received again)"),
          });
      }
      if (seconds <= 0 && failed.length < deliveries.length) wakeAll();
      return failed;
    },

    async depth(priority) {
      if (priority) return depthOf(priority);
      return PRIORITIES.map(depthOf).reduce((sum, d) => ({
        visible: sum.visible + d.visible,
        inFlight: sum.inFlight + d.inFlight,
        delayed: sum.delayed + d.delayed,
      }));
    },

    deadLetters: () => dead.map(copy),
  };
}
