import type { Clock } from "../core/clock.js";

/**
 * Tells when a node's store calls have kept failing for longer than
 * `outageMs`: since the first failure after the last success. Pure apart from
 * the injected clock, so it is unit-tested on a fake one.
 */
export interface StoreOutage {
  /** A store call succeeded. */
  ok(): void;
  /** A store call failed (not a lost race or a stale fence: the store was not reached). */
  failed(): void;
  /** True once calls have failed, with none succeeding, for longer than `outageMs`. */
  isOut(): boolean;
  /** Forgets the failures (after the node rejoined). */
  reset(): void;
}

export function createStoreOutage(clock: Pick<Clock, "now">, outageMs: number): StoreOutage {
  let failingSince: number | undefined;
  return {
    ok: () => {
      failingSince = undefined;
    },
    failed: () => {
      failingSince ??= clock.now();
    },
    isOut: () => failingSince !== undefined && clock.now() - failingSince > outageMs,
    reset: () => {
      failingSince = undefined;
    },
  };
}
