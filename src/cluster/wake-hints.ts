import type { Logger } from "pino";
import { type Clock, systemClock } from "../core/clock.js";
import type { Coordinator } from "../core/ports/coordinator.js";
import { retry } from "../core/retry.js";

export interface WakeHintOptions {
  /** The scheduler's look-ahead: a partition is polled this long before a hinted run. */
  lookaheadMs: number;
  /** The scheduler's longest pause between due-index reads of a partition. */
  pollBackstopMs: number;
}

/**
 * Tells the scheduler nodes of runs that an API node schedules sooner than
 * their backstop reads would find them. A partition's due index is read at
 * least every poll backstop, and each read goes on to the partition's next
 * run beyond it, so a run later than now + poll backstop + look-ahead is
 * found in time without a hint. A run read by a hinted poll still to come
 * needs none either: that read and those after it go on in order from
 * there, so one hint per partition covers a burst of creations.
 *
 * Hints are best effort: a failed one is logged, and the run still fires,
 * at worst one poll backstop late.
 */
export function createWakeHints(deps: {
  clock: Clock;
  options: WakeHintOptions;
  publish: (partition: number, nextRunMs: number) => Promise<void>;
  logger: Logger;
  onHint?: (result: "sent" | "skipped" | "failed") => void;
}) {
  const { clock, options, logger } = deps;
  /** Per partition, the run of the last hint sent. */
  const hinted = new Map<number, number>();

  /** Whether a run at `nextRunMs` in `partition` needs a hint now. */
  function needed(partition: number, nextRunMs: number, now: number): boolean {
    if (nextRunMs > now + options.pollBackstopMs + options.lookaheadMs) return false;
    // A poll still to come for an earlier hinted run reads on from it, and
    // reads again before anything it did not see can be due.
    const pending = hinted.get(partition);
    return !(pending !== undefined && pending - options.lookaheadMs > now && pending <= nextRunMs);
  }

  return {
    /** A job in `partition` now runs next at `nextRunMs`. */
    scheduled(partition: number, nextRunMs: number): void {
      if (!needed(partition, nextRunMs, clock.now())) {
        deps.onHint?.("skipped");
        return;
      }
      hinted.set(partition, nextRunMs);
      deps.publish(partition, nextRunMs).then(
        () => deps.onHint?.("sent"),
        (err: unknown) => {
          if (hinted.get(partition) === nextRunMs) hinted.delete(partition);
          deps.onHint?.("failed");
          logger.warn({ err, partition }, "wake hint not sent; the next poll finds the run");
        },
      );
    },
  };
}

export type WakeHints = ReturnType<typeof createWakeHints>;

/**
 * Passes the hints of every API node to this scheduler node, from start to
 * `stop`. While etcd is unreachable at start it keeps trying (the watch
 * itself re-reads after a break); meanwhile the periodic polls find the runs.
 */
export function followWakeHints(deps: {
  coordinator: Pick<Coordinator, "watchWakes">;
  onWake: (partition: number, nextRunMs: number) => void;
  logger: Logger;
  /** Between tries to start the watch; default 1 s. */
  retryMs?: number;
  /** The retry's timer runs on it; default the system clock. */
  clock?: Clock;
}): { stop(): Promise<void> } {
  const clock = deps.clock ?? systemClock;
  const retryMs = deps.retryMs ?? 1_000;
  const stopping = new AbortController();
  let unwatch: (() => Promise<void>) | undefined;
  retry(
    { baseMs: retryMs, maxMs: retryMs, factor: 1 },
    () => deps.coordinator.watchWakes(deps.onWake),
    clock,
    {
      signal: stopping.signal,
      onRetry: (err) => deps.logger.warn({ err }, "cannot watch wake hints yet; retrying"),
    },
  ).then(
    async (stop) => {
      // Started while stopping: not wanted any more.
      if (stopping.signal.aborted) await stop().catch(() => {});
      else unwatch = stop;
    },
    () => {},
  );
  return {
    async stop() {
      stopping.abort();
      await unwatch?.();
    },
  };
}
