import type { Clock } from "../core/clock.js";

/**
 * Waits on the injected clock that one call cuts short: the scheduler's
 * loops sleep until their next work, and a change (partitions gained, a
 * wake, a backlog found) wakes them all to look again.
 */
export function createSleepers(clock: Clock) {
  const sleepers = new Set<() => void>();
  return {
    /** Resolves after `ms`, or at the next `wakeAll`. */
    sleep(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          timer.cancel();
          sleepers.delete(done);
          resolve();
        };
        const timer = clock.setTimeout(done, ms);
        sleepers.add(done);
      });
    },
    wakeAll(): void {
      for (const done of [...sleepers]) done();
    },
  };
}
