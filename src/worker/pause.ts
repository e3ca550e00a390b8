import type { Logger } from "pino";
import { type Clock, systemClock } from "../core/clock.js";
import type { Coordinator } from "../core/ports/coordinator.js";
import { retry } from "../core/retry.js";

export interface PauseFollower {
  /** True while paused through the API, and until the pause key was first read. */
  isPaused(): boolean;
  stop(): Promise<void>;
}

/**
 * Follows this worker's pause key in etcd (set by PauseWorker, cleared by
 * ResumeWorker). Until the first read succeeds the worker counts as paused:
 * a worker restarted while paused must not take a run before it knows.
 * Retries the watch while etcd is unreachable.
 */
export function followWorkerPause(deps: {
  coordinator: Coordinator;
  workerId: string;
  logger: Logger;
  onChange?: (paused: boolean) => void;
  /** Timers of the retries. Default the system clock. */
  clock?: Clock;
}): PauseFollower {
  let paused = true;
  let known = false;
  let stopped = false;
  let stopWatch: (() => Promise<void>) | undefined;
  const follow = async () => {
    if (stopped) return;
    const stop = await deps.coordinator.watchWorkerPaused(deps.workerId, (now) => {
      if (known || now) deps.logger.info({ paused: now }, now ? "paused" : "resumed");
      known = true;
      paused = now;
      deps.onChange?.(now);
    });
    if (stopped) await stop();
    else stopWatch = stop;
  };
  // 0.2 s doubling up to 5 s between tries, until it works or the follower stops.
  const started = retry({ baseMs: 200, maxMs: 5_000 }, follow, deps.clock ?? systemClock, {
    retryable: () => !stopped,
    onRetry: (err) => deps.logger.warn({ err }, "cannot read this worker's pause state; retrying"),
  }).catch(() => {});
  return {
    isPaused: () => paused,
    async stop() {
      stopped = true;
      await started;
      await stopWatch?.();
    },
  };
}
