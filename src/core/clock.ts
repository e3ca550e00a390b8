import { setTimeout as sleepFor } from "node:timers/promises";

/** A timer started by a {@link Clock}; `cancel` is safe to call more than once. */
export interface Timer {
  cancel(): void;
}

export interface TimerOptions {
  /** Do not keep the process alive for this timer (system clock only). */
  unref?: boolean;
}

/**
 * Time source and timers, injected so that tests can run on a fake clock
 * (`test/support/fake-clock.ts`): modules take a Clock instead of calling
 * `Date.now`, `setTimeout` or `timers/promises` themselves.
 */
export interface Clock {
  /** UTC epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal, options?: TimerOptions): Promise<void>;
  /** Calls `fn` once after `ms`. */
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal, options) =>
    sleepFor(Math.max(0, ms), undefined, { signal, ref: !options?.unref }).catch((error) => {
      throw signal?.aborted ? signal.reason : error;
    }),
  setTimeout(fn, ms, options) {
    const handle = setTimeout(fn, Math.max(0, ms));
    if (options?.unref) handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** The system clock's timers with another `now` (tests that shift time). */
export function clockWithNow(now: () => number, timers: Clock = systemClock): Clock {
  return { now, sleep: timers.sleep, setTimeout: timers.setTimeout };
}

/**
 * Calls `fn` every `ms` on `clock` until the returned timer is cancelled: a
 * `setInterval` built on the Clock's one-shot timer, so that a fake clock
 * runs it too. The next call is armed before `fn` runs, as `setInterval` does.
 */
export function every(clock: Clock, ms: number, fn: () => void, options?: TimerOptions): Timer {
  let timer: Timer | undefined;
  let cancelled = false;
  const arm = () => {
    timer = clock.setTimeout(
      () => {
        if (cancelled) return;
        arm();
        fn();
      },
      ms,
      options,
    );
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      timer?.cancel();
    },
  };
}

/**
 * Whether `work` settles, either way, within `ms` on `clock`: a bounded wait
 * that never rejects, for the drains and cancels that give up after a grace.
 */
export async function settlesWithin(
  work: Promise<unknown>,
  ms: number,
  clock: Clock,
): Promise<boolean> {
  let timer: Timer | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    timer?.cancel();
  }
}
