/** Percentile by nearest rank over a sorted copy; 0 for no samples. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summary(values: number[]): { p50: number; p99: number; max: number } {
  return {
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    // A loop, not Math.max(...values): a spread of 100,000+ arguments overflows the stack.
    max: round(
      values.reduce((m, v) => Math.max(m, v), values.length ? Number.NEGATIVE_INFINITY : 0),
    ),
  };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
