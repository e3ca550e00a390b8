import type { Clock } from "../../src/core/clock.js";

/** A clock that only moves when told to. */
export function fakeClock(
  startMs: number,
): Clock & { set(ms: number): void; advance(ms: number): void } {
  let now = startMs;
  return {
    now: () => now,
    set(ms) {
      now = ms;
    },
    advance(ms) {
      now += ms;
    },
  };
}
