import { readFileSync } from "node:fs";
import { metricValue } from "../deploy/local/chronoring-process.js";
import { phaseMs, readHistogram } from "./histogram.js";
import { round } from "./stats.js";

/** The worker phases of `chronoring_run_phase_seconds` (src/worker/metrics.ts), in order. */
const PHASES = ["queue", "admit", "start_write", "slot_wait", "outcome_write", "ack"] as const;

/**
 * Where a run's time went in the workers, read from their /metrics at the
 * end of the run: each phase's mean, p50 and p99 (ms, estimated from the
 * histogram buckets), the handler's own start lateness (invoked minus
 * scheduled), and how long every slot was held.
 */
export function workerBreakdown(workerPages: string[]) {
  const phases = Object.fromEntries(
    PHASES.map((phase) => [
      phase,
      phaseMs(readHistogram(workerPages, "chronoring_run_phase_seconds", { phase })),
    ]),
  );
  return {
    phases_ms: phases,
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

/** CPU seconds (user + system) a process has used so far, from /proc; 0 when unreadable. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat (12 and 13 after the name), in ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
