import type { Clock, Timer } from "../../src/core/clock.js";

interface Pending {
  due: number;
  seq: number;
  fn: () => void;
}

export interface FakeClock extends Clock {
  /** Moves time without running timers (for code that only reads `now`). */
  set(ms: number): void;
  /** Moves time forward without running timers. */
  advance(ms: number): void;
  /**
   * Moves time forward by `ms`, running every timer that falls due on the way
   * in due order, and letting promises settle after each one.
   */
  tick(ms: number): Promise<void>;
  /** Timers not yet run. */
  pending(): number;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that only moves when told to. */
export function fakeClock(startMs: number): FakeClock {
  let now = startMs;
  let seq = 0;
  const timers = new Set<Pending>();
  const next = (until: number): Pending | undefined => {
    let first: Pending | undefined;
    for (const t of timers) {
      if (t.due > until) continue;
      if (!first || t.due < first.due || (t.due === first.due && t.seq < first.seq)) first = t;
    }
    return first;
  };
  const clock: FakeClock = {
    now: () => now,
    set(ms) {
      now = ms;
    },
    setTimeout(fn, ms): Timer {
      const t = { due: now + Math.max(0, ms), seq: seq++, fn };
      timers.add(t);
      return { cancel: () => timers.delete(t) };
    },
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          timer.cancel();
          reject(signal?.reason);
        };
        const timer = clock.setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, ms);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    advance(ms) {
      now += ms;
    },
    async tick(ms) {
      const target = now + ms;
      await settle();
      for (let t = next(target); t; t = next(target)) {
        timers.delete(t);
        now = Math.max(now, t.due);
        t.fn();
        await settle();
      }
      now = target;
      await settle();
    },
    pending: () => timers.size,
  };
  return clock;
}

/** Lets promises settle through `turns` timer-free rounds without moving the clock. */
export async function settleOn(clock: FakeClock, turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await clock.tick(0);
}
