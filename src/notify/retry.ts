/**
 * Bounded retries with exponential backoff for notification deliveries, on
 * the shared `retry` (src/core/retry.ts). A delivery that throws `Permanent`
 * (e.g. HTTP 400) is not retried.
 */
import { type Clock, systemClock } from "../core/clock.js";
import { type RetrySchedule, retry } from "../core/retry.js";

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

const MAX_DELAY_MS = 60_000;

/**
 * The delays of a policy: doubling from the base up to 60 s, each with up to
 * 20 % taken off at random so that many senders spread out.
 */
export function notifySchedule(policy: RetryPolicy): RetrySchedule {
  return {
    attempts: policy.attempts,
    baseMs: Math.min(policy.baseDelayMs, MAX_DELAY_MS),
    maxMs: MAX_DELAY_MS,
    jitter: 0.2,
  };
}

/** Runs `send` until it succeeds, throws Permanent or the tries run out (then rethrows). */
export function withBackoff<T>(
  policy: RetryPolicy,
  send: (attempt: number) => Promise<T>,
  options: { onRetry?: (err: unknown, attempt: number) => void; clock?: Clock | undefined } = {},
): Promise<T> {
  const { onRetry, clock = systemClock } = options;
  return retry(notifySchedule(policy), send, clock, {
    retryable: (err) => !(err instanceof Permanent),
    ...(onRetry ? { onRetry } : {}),
  });
}
