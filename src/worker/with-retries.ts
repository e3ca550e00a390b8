import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { type RetrySchedule, retry } from "../core/retry.js";

/** Five tries, 0.4 s doubling between them (6 s in all). */
export const STORE_WRITE_RETRIES: RetrySchedule = { attempts: 5, baseMs: 400, maxMs: 3_200 };

/**
 * Retries a store write a few times with growing pauses: a backend fault
 * must not lose an outcome. A write that failed its condition is not an
 * error here (the callers return false for it); a retried write whose first
 * try was applied also fails its condition, which callers check by reading.
 */
export function withRetries<T>(
  { logger, clock }: { logger: Logger; clock: Clock },
  call: () => Promise<T>,
): Promise<T> {
  return retry(STORE_WRITE_RETRIES, call, clock, {
    onRetry: (err, attempt) => logger.warn({ err, attempt }, "store write failed; retrying"),
  });
}
