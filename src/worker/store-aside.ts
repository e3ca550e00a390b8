import type { Logger } from "pino";
import { type Clock, every } from "../core/clock.js";
import { type RetrySchedule, retry } from "../core/retry.js";

/** Reading the store while aside: every second until a read answers. */
const PROBE_RETRY: RetrySchedule = { baseMs: 1_000, maxMs: 1_000, factor: 1 };

/** Whether a worker is standing aside from the queue, its store out of reach. */
export interface StoreAside {
  /** True from an outage seen until a read of the store answers again. */
  isAside(): boolean;
  stop(): void;
}

/**
 * Keeps a worker cut off from the store (but not from etcd or the queue)
 * from taking runs it cannot start. Its session holds, so nothing hands its
 * runs over, and without this it would go on receiving: every run it took
 * waited on a start write that could not land, until the partition healed or
 * the recovery sweep sent the run again (which this worker could take again).
 *
 * Every `checkMs` it looks at the start path's store calls (`outage`, the
 * role's `StoreOutage`): once they have failed or hung for longer than the
 * outage bound, none succeeding, the worker stands aside (the role's
 * `canWork` is false: it receives nothing and its intake gives back the runs
 * waiting there) and reads the store every second, taking runs again once a
 * read answers. Runs already past their start go on; their outcomes are
 * written when the store answers.
 */
export function watchStoreForIntake(deps: {
  outage: { isOut(): boolean; reset(): void };
  /** One read of the store. */
  probe: () => Promise<unknown>;
  clock: Clock;
  logger: Logger;
  checkMs?: number;
}): StoreAside {
  const { outage, clock, logger } = deps;
  const stopping = new AbortController();
  let aside = false;
  const check = every(clock, deps.checkMs ?? 500, () => {
    if (aside || !outage.isOut()) return;
    aside = true;
    logger.warn("store out of reach: taking no runs until it answers again");
    retry(PROBE_RETRY, deps.probe, clock, { signal: stopping.signal }).then(
      () => {
        // Calls still hanging from before count again from now.
        outage.reset();
        aside = false;
        logger.warn("store answers again: taking runs");
      },
      () => {},
    );
  });
  return {
    isAside: () => aside,
    stop() {
      check.cancel();
      stopping.abort();
    },
  };
}
