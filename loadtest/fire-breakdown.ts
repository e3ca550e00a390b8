import { metricValue } from "../deploy/local/chronoring-process.js";
import { histogramSince, phaseMs, readHistogram } from "./histogram.js";
import { round } from "./stats.js";

/** The worker phases of `chronoring_run_phase_seconds` (src/worker/metrics.ts), in order. */
const PHASES = ["queue", "admit", "start_write", "slot_wait", "outcome_write", "ack"] as const;

/**
 * Histogram `name` over the workers' pages, less what the `since` pages had
 * counted (a warm-up's runs), when given.
 */
function counted(
  pages: string[],
  name: string,
  labels: Record<string, string>,
  since: string[] | undefined,
) {
  const after = readHistogram(pages, name, labels);
  return since ? histogramSince(after, readHistogram(since, name, labels)) : after;
}

/**
 * Each worker phase's mean, p50 and p99 (ms), over the runs whose series
 * carry every `labels` pair, counted after the `since` pages when given.
 */
export function workerPhases(
  workerPages: string[],
  labels: Record<string, string> = {},
  since?: string[],
) {
  return Object.fromEntries(
    PHASES.map((phase) => [
      phase,
      phaseMs(counted(workerPages, "chronoring_run_phase_seconds", { phase, ...labels }, since)),
    ]),
  );
}

/**
 * Where a run's time went in the workers, read from their /metrics at the
 * end of the run: each phase's mean, p50 and p99 (ms, estimated from the
 * histogram buckets), the handler's own start lateness (invoked minus
 * scheduled), and how long every slot was held; counted after the `since`
 * pages (read before the measured runs) when given.
 */
export function workerBreakdown(workerPages: string[], since?: string[]) {
  const slotsFull = (pages: string[]) =>
    pages.reduce((n, p) => n + metricValue(p, "chronoring_worker_slots_full_seconds_total"), 0);
  return {
    phases_ms: workerPhases(workerPages, {}, since),
    handler_start_lateness_ms: phaseMs(
      counted(workerPages, "chronoring_handler_start_lateness_seconds", {}, since),
    ),
    slots_full_s: round(slotsFull(workerPages) - (since ? slotsFull(since) : 0)),
  };
}
