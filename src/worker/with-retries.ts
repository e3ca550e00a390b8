import type { Logger } from "pino";

/**
 * Retries a store write a few times with growing pauses: a backend fault
 * must not lose an outcome. A write that failed its condition is not an
 * error here (the callers return false for it); a retried write whose first
 * try was applied also fails its condition, which callers check by reading.
 */
export async function withRetries<T>(logger: Logger, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 5) throw err;
      logger.warn({ err, attempt }, "store write failed; retrying");
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
