import { describe, expect, it } from "vitest";
import { histogramSince, phaseMs, readHistogram } from "../../../loadtest/histogram.js";

/** A worker's /metrics page with one phase histogram of the given cumulative counts (≤ 0.01 s, ≤ 0.1 s, ≤ 1 s, all). */
function page(counts: [number, number, number, number], sum: number): string {
  const les = ["0.01", "0.1", "1", "+Inf"];
  const series = `phase="start_write",priority="HIGH"`;
  return [
    ...les.map((le, i) => `chronoring_run_phase_seconds_bucket{${series},le="${le}"} ${counts[i]}`),
    `chronoring_run_phase_seconds_sum{${series}} ${sum}`,
    `chronoring_run_phase_seconds_count{${series}} ${counts[3]}`,
  ].join("\n");
}

describe("reading a bench's histograms", () => {
  it("counts only what came after an earlier read (a warm-up's runs left out)", () => {
    const name = "chronoring_run_phase_seconds";
    const labels = { phase: "start_write" };
    // The warm-up: 100 runs, 10 of them slow.
    const before = readHistogram([page([50, 90, 100, 100], 5)], name, labels);
    // Then 100 measured runs, all fast.
    const after = readHistogram([page([150, 190, 200, 200], 5.5)], name, labels);
    const measured = histogramSince(after, before);
    expect(measured.count).toBe(100);
    expect(measured.buckets.map(([, n]) => n)).toEqual([100, 100, 100, 100]);
    expect(phaseMs(measured)).toEqual({ mean: 5, p50: 5, p99: 9.9, n: 100 });
    // Read whole, the warm-up's slow runs make the p99.
    expect(phaseMs(after).p99).toBeGreaterThan(100);
  });
});
