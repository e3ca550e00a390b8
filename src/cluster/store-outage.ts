import type { Clock } from "../core/clock.js";

/**
 * Tells when a node's store calls have kept failing or hanging for longer
 * than `outageMs`. A partition that drops packets makes calls hang (until the
 * SDK's timeouts and retries, tens of seconds), not fail: a call still in
 * flight counts from its start. Pure apart from the injected clock.
 */
export interface StoreOutage {
  /** Runs a store call and records whether it reached the store. */
  track<T>(call: () => Promise<T>): Promise<T>;
  /**
   * True once a call has been failing or in flight, with none succeeding
   * since it started, for longer than `outageMs`.
   */
  isOut(): boolean;
  /** Forgets the failures (the node stood aside and rejoins later). */
  reset(): void;
}

export function createStoreOutage(options: {
  clock: Pick<Clock, "now">;
  outageMs: number;
  /** Errors that prove the store answered (a lost race, a stale fence). */
  answered?: (err: unknown) => boolean;
}): StoreOutage {
  const { clock, outageMs } = options;
  let failingSince: number | undefined;
  const inFlight = new Map<number, number>();
  let nextId = 0;
  const oldest = () => {
    let first = failingSince ?? Number.POSITIVE_INFINITY;
    for (const start of inFlight.values()) first = Math.min(first, start);
    return first;
  };
  return {
    async track(call) {
      const id = nextId++;
      const start = clock.now();
      inFlight.set(id, start);
      try {
        const result = await call();
        failingSince = undefined;
        return result;
      } catch (err) {
        if (options.answered?.(err)) failingSince = undefined;
        else failingSince ??= start;
        throw err;
      } finally {
        inFlight.delete(id);
      }
    },
    isOut: () => clock.now() - oldest() > outageMs,
    reset: () => {
      failingSince = undefined;
      // Calls still hanging count again from now.
      const now = clock.now();
      for (const id of inFlight.keys()) inFlight.set(id, now);
    },
  };
}
