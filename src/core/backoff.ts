/**
 * The one backoff every retry in Chronoring uses: a job's retry policy
 * (`retry-policy.ts`) and the background loops that retry a backend call
 * (`retry.ts`). Pure: no clock, and randomness only from the `random` passed in.
 */

/** How the delays between tries grow. */
export interface BackoffPolicy {
  /** Delay before the first retry, ms (≥ 0). */
  baseMs: number;
  /** No delay exceeds this, ms (≥ baseMs). */
  maxMs: number;
  /** Growth per retry (≥ 1): 2 doubles, 1 keeps every delay at baseMs. Default 2. */
  factor?: number;
  /**
   * 0..1: the fraction of each delay that is randomised, taken off the
   * nominal delay so that the cap still holds. 0 (default): exact delays;
   * 0.5: "equal jitter" (half to all of the nominal); 1: "full jitter"
   * (none to all). Jitter keeps many callers failing together from
   * retrying in step.
   */
  jitter?: number;
}

/** Throws a RangeError naming the bad field: a policy is fixed in code, so a bad one is a bug. */
export function checkBackoff(policy: BackoffPolicy): void {
  const { baseMs, maxMs, factor = 2, jitter = 0 } = policy;
  if (!Number.isFinite(baseMs) || baseMs < 0) throw new RangeError(`backoff baseMs ${baseMs}`);
  if (!Number.isFinite(maxMs) || maxMs < baseMs) throw new RangeError(`backoff maxMs ${maxMs}`);
  if (!Number.isFinite(factor) || factor < 1) throw new RangeError(`backoff factor ${factor}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`backoff jitter ${jitter}`);
}

/**
 * The delay before retry `retry` (1 for the first retry, i.e. after the
 * first failed try): baseMs × factor^(retry−1), at most maxMs, then with up
 * to `jitter` of it taken off at random. `random` returns [0, 1); rounded to
 * whole ms, never negative, never above maxMs.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  checkBackoff(policy);
  const { baseMs, maxMs, factor = 2, jitter = 0 } = policy;
  // factor^n overflows to Infinity for a large n, which the cap absorbs; a
  // zero base stays zero (0 × Infinity would be NaN).
  const nominal = baseMs === 0 ? 0 : Math.min(maxMs, baseMs * factor ** Math.max(0, retry - 1));
  return Math.round(nominal * (1 - jitter * random()));
}
