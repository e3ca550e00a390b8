/**
 * Bounded retries with exponential backoff for notification deliveries. A
 * delivery that throws `Permanent` (e.g. HTTP 400) is not retried.
 */

export class Permanent extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Permanent";
  }
}

export interface RetryPolicy {
  /** Tries in all, at least 1. */
  attempts: number;
  /** Delay before the second try; doubles after each, capped at 60 s. */
  baseDelayMs: number;
}

/** Delay before try `n + 1` (n ≥ 1), with ±20 % jitter so that many senders spread out. */
export function backoffMs(policy: RetryPolicy, n: number, random = Math.random): number {
  const base = Math.min(60_000, policy.baseDelayMs * 2 ** (n - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Runs `send` until it succeeds, throws Permanent or the tries run out (then rethrows). */
export async function withBackoff<T>(
  policy: RetryPolicy,
  send: (attempt: number) => Promise<T>,
  onRetry?: (err: unknown, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(attempt);
    } catch (err) {
      if (err instanceof Permanent || attempt >= policy.attempts) throw err;
      onRetry?.(err, attempt);
      await new Promise((r) => setTimeout(r, backoffMs(policy, attempt)));
    }
  }
}
