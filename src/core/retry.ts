/**
 * `retry`: the one loop that tries a call again after a failure, with the
 * delays of a {@link BackoffPolicy}, on an injected {@link Clock} (so tests
 * run it on a fake clock). Callers say which errors are worth a retry and how
 * many tries, or how long, they allow.
 */
import { type BackoffPolicy, backoffDelay, checkBackoff } from "./backoff.js";
import type { Clock } from "./clock.js";

/** Delays plus when to give up. Without limits `retry` tries until it succeeds or is aborted. */
export interface RetrySchedule extends BackoffPolicy {
  /** Tries in all (≥ 1), the first included. */
  attempts?: number;
  /** No retry once this long has passed since the first try began (ms). */
  maxElapsedMs?: number;
}

export interface RetryOptions {
  /** Aborting stops the retries: a pending delay ends with the signal's reason. */
  signal?: AbortSignal;
  /** Whether a failure is worth another try (default: every failure). Others are thrown at once. */
  retryable?(error: unknown, attempt: number): boolean;
  /** Called before each delay, with the failed try's number (1-based) and the delay. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /** Jitter's randomness, [0, 1) (default Math.random). */
  random?: () => number;
}

/**
 * Calls `fn(attempt)` (attempt 1, 2, ...) until it resolves, then resolves
 * with its value. A failure is thrown as is when it is not retryable, the
 * tries or the time are used up, or the signal is aborted; otherwise `retry`
 * waits `backoffDelay(policy, attempt)` on `clock` and tries again. A zero
 * delay retries at once, without a timer.
 */
export async function retry<T>(
  policy: RetrySchedule,
  fn: (attempt: number) => Promise<T>,
  clock: Clock,
  options: RetryOptions = {},
): Promise<T> {
  checkBackoff(policy);
  const { signal, retryable, onRetry, random = Math.random } = options;
  const attempts = policy.attempts ?? Number.POSITIVE_INFINITY;
  if (!(attempts >= 1)) throw new RangeError(`retry attempts ${attempts}`);
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      const outOfTime =
        policy.maxElapsedMs !== undefined && clock.now() - started > policy.maxElapsedMs;
      if (signal?.aborted || attempt >= attempts || outOfTime) throw error;
      if (retryable && !retryable(error, attempt)) throw error;
      const delayMs = backoffDelay(policy, attempt, random);
      onRetry?.(error, attempt, delayMs);
      if (delayMs > 0) await clock.sleep(delayMs, signal);
    }
  }
}
