import { metricValue } from "../deploy/local/chronoring-process.js";
import { phaseMs, readHistogram } from "./histogram.js";
import { round } from "./stats.js";

/** The worker phases of `chronoring_run_phase_seconds` (src/worker/metrics.ts), in order. */
const PHASES = ["queue", "admit", "start_write", "slot_wait", "outcome_write", "ack"] as const;

/** Each worker phase's mean, p50 and p99 (ms), over the runs whose series carry every `labels` pair. */
export function workerPhases(workerPages: string[], labels: Record<string, string> = {}) {
  return Object.fromEntries(
    PHASES.map((phase) => [
      phase,
      phaseMs(readHistogram(workerPages, "chronoring_run_phase_seconds", { phase, ...labels })),
    ]),
  );
}

/**
 * Where a run's time went in the workers, read from their /metrics at the
 * end of the run: each phase's mean, p50 and p99 (ms, estimated from the
 * histogram buckets), the handler's own start lateness (invoked minus
 * scheduled), and how long every slot was held.
 */
export function workerBreakdown(workerPages: string[]) {
  return {
    phases_ms: workerPhases(workerPages),
    handler_start_lateness_ms: phaseMs(
      readHistogram(workerPages, "chronoring_handler_start_lateness_seconds"),
    ),
    slots_full_s: round(
      workerPages.reduce(
        (n, p) => n + metricValue(p, "chronoring_worker_slots_full_seconds_total"),
        0,
      ),
    ),
  };
}
