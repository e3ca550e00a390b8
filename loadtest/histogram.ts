import { round } from "./stats.js";

/** One Prometheus histogram read from /metrics pages, summed over the pages. */
interface Histogram {
  /** Cumulative counts by upper bound, ascending (the last is +Inf). */
  buckets: Array<[number, number]>;
  sum: number;
  count: number;
}

/**
 * Reads histogram `name` from Prometheus text pages, only the series whose
 * labels include every `labels` pair, summed over pages and series.
 */
export function readHistogram(
  pages: string[],
  name: string,
  labels: Record<string, string> = {},
): Histogram {
  const byLe = new Map<number, number>();
  let sum = 0;
  let count = 0;
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const page of pages) {
    for (const line of page.split("\n")) {
      if (!line.startsWith(name)) continue;
      const rest = line.slice(name.length);
      const open = rest.indexOf("{");
      const series = open >= 0 ? rest.slice(open + 1, rest.indexOf("}")) : "";
      if (!wanted.every((w) => series.split(",").includes(w))) continue;
      const value = Number(line.slice(line.lastIndexOf(" ") + 1));
      if (rest.startsWith("_bucket{")) {
        const le = /le="([^"]+)"/.exec(series)?.[1] ?? "+Inf";
        const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
        byLe.set(bound, (byLe.get(bound) ?? 0) + value);
      } else if (rest.startsWith("_sum")) sum += value;
      else if (rest.startsWith("_count")) count += value;
    }
  }
  return { buckets: [...byLe].sort((a, b) => a[0] - b[0]), sum, count };
}

/** What a histogram counted between two reads of it: `after` less `before`, bucket by bucket. */
export function histogramSince(after: Histogram, before: Histogram): Histogram {
  const earlier = new Map(before.buckets);
  return {
    buckets: after.buckets.map(([le, n]) => [le, n - (earlier.get(le) ?? 0)]),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/**
 * A quantile estimated from the buckets as Prometheus's histogram_quantile
 * does (linear within the bucket it falls in), in the histogram's unit.
 */
export function quantile(h: Histogram, q: number): number {
  if (h.count === 0) return 0;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (const [bound, cumulative] of h.buckets) {
    if (cumulative >= rank) {
      if (!Number.isFinite(bound)) return lower;
      const inBucket = cumulative - below;
      return lower + (bound - lower) * (inBucket > 0 ? (rank - below) / inBucket : 1);
    }
    lower = bound;
    below = cumulative;
  }
  return lower;
}

/** Mean, p50 and p99 of a histogram in seconds, as milliseconds. */
export function phaseMs(h: Histogram): { mean: number; p50: number; p99: number; n: number } {
  return {
    mean: round(h.count ? (h.sum / h.count) * 1000 : 0),
    p50: round(quantile(h, 0.5) * 1000),
    p99: round(quantile(h, 0.99) * 1000),
    n: h.count,
  };
}
