import type { Logger } from "pino";
import type { Coordinator } from "../core/ports/coordinator.js";

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
}): PauseFollower {
  let paused = true;
  let known = false;
  let stopped = false;
  let stopWatch: (() => Promise<void>) | undefined;
  const started = (async () => {
    for (let delayMs = 200; !stopped; delayMs = Math.min(5000, delayMs * 2)) {
      try {
        const stop = await deps.coordinator.watchWorkerPaused(deps.workerId, (now) => {
          if (known || now) deps.logger.info({ paused: now }, now ? "paused" : "resumed");
          known = true;
          paused = now;
          deps.onChange?.(now);
        });
        if (stopped) await stop();
        else stopWatch = stop;
        return;
      } catch (err) {
        deps.logger.warn({ err }, "cannot read this worker's pause state; retrying");
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  })();
  return {
    isPaused: () => paused,
    async stop() {
      stopped = true;
      await started;
      await stopWatch?.();
    },
  };
}
