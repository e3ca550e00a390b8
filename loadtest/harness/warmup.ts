/**
 * A bench's warm-up: one-time noop runs through the whole stack before the
 * measured ones, so that those meet processes that have run before (their
 * code compiled, their caches read), as a running cluster's do. Measured in
 * `bench burst`: the 50 HIGH runs at the burst's instant waited 191–229 ms
 * on average for their start writes on a stack that had run nothing, 60 ms
 * on one warmed by 2,000 runs.
 */

/**
 * How long before the first measured run the warm-up's runs are due: long
 * enough that their recovery checks (start timeout, 30 s, then the sweep's
 * next pass, 10 s) are done before a bench starts counting the cost, 7 s
 * before its first run.
 */
export const WARMUP_LEAD_MS = 55_000;

/** The warm-up's runs are due over this long. */
const WARMUP_SPREAD_MS = 5_000;

/** When each of `n` warm-up runs is due, for measured runs from `firstMs`. */
export function warmupTimes(firstMs: number, n: number): Array<{ at: number }> {
  return Array.from({ length: n }, (_, i) => ({
    at: firstMs - WARMUP_LEAD_MS + Math.floor((i * WARMUP_SPREAD_MS) / Math.max(1, n)),
  }));
}
