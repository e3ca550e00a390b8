import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Delivery } from "../core/ports/work-queue.js";
import { priorityOf } from "../core/priority.js";

export interface WorkerMetrics {
  /** Time a worker started the run minus its scheduled time. */
  startLateness: Histogram;
  runs: Counter<"outcome">;
  /** Deliveries of a run already started elsewhere (redelivery): skipped. */
  duplicates: Counter;
  inFlight: Gauge;
  duration: Histogram<"type">;
  /** Runs held back by their job's limits: waited (sent again later) or skipped. */
  limited: Counter<"action">;
  /** Runs sent back to the queue by their tenant's fire-time quotas, by reason (concurrency, rate). */
  held: Counter<"reason">;
  /** Runs held for their tenant's concurrency and parked in the intake (no re-send). */
  parked: Counter<"reason">;
  /** 1 while paused through the API (PauseWorker). */
  paused: Gauge;
  /** Where a run's time goes in this worker, by phase (see `RunPhase`) and the run's priority. */
  phases: Histogram<"phase" | "priority">;
  /** Time the handler was invoked minus the run's scheduled time (what a user sees), by priority. */
  handlerLateness: Histogram<"priority">;
  /** Seconds during which every slot was held: runs waiting in the queue then wait on this worker. */
  slotsFull: Counter;
}

/** Records `ms` of a run's time in `phase`, under the run's priority. */
export function observePhase(
  metrics: Pick<WorkerMetrics, "phases">,
  phase: RunPhase,
  delivery: Pick<Delivery, "priority">,
  ms: number,
): void {
  metrics.phases.observe({ phase, priority: priorityOf(delivery.priority) }, ms / 1000);
}

/**
 * The phases of a run in a worker, one after the other:
 * `queue` (sent by the dispatcher, or the run's planned start when it was
 * sent ahead → taken by this worker), `admit` (tenant
 * quotas, reading the job when the message carries no target), `start_write`
 * (the conditional start in the store), `outcome_write` (recording the
 * outcome), `ack` (deleting the message). A slot is held from `admit` to the
 * end of `ack`.
 */
export type RunPhase = "queue" | "admit" | "start_write" | "slot_wait" | "outcome_write" | "ack";

/** Fine enough to read p50 and p99 of a phase between 1 ms and a few seconds. */
const PHASE_BUCKETS = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5,
  0.75, 1, 1.5, 2, 3, 5, 10, 30, 60,
];

export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  return {
    startLateness: new Histogram({
      name: "chronoring_start_lateness_seconds",
      help: "Time a worker started a run minus its scheduled time (its planned start within a flexible window)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    runs: new Counter({
      name: "chronoring_runs_finished_total",
      help: "Attempts finished by this worker, by outcome (succeeded, failed, dead, cancelled)",
      labelNames: ["outcome"],
      registers,
    }),
    duplicates: new Counter({
      name: "chronoring_duplicate_deliveries_total",
      help: "Deliveries skipped because the execution was already recorded",
      registers,
    }),
    inFlight: new Gauge({
      name: "chronoring_worker_in_flight",
      help: "Runs executing now",
      registers,
    }),
    duration: new Histogram({
      name: "chronoring_run_duration_seconds",
      help: "Run execution time by job type",
      labelNames: ["type"],
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers,
    }),
    limited: new Counter({
      name: "chronoring_runs_limited_total",
      help: "Runs held back by their job's limits: waited (sent again later) or skipped (overlap policy)",
      labelNames: ["action"],
      registers,
    }),
    held: new Counter({
      name: "chronoring_runs_held_total",
      help: "Re-sends of runs held back by their tenant's quotas (max_concurrent_runs: concurrency, max_fires_per_minute: rate): each sends the run to the queue again with a delay",
      labelNames: ["reason"],
      registers,
    }),
    parked: new Counter({
      name: "chronoring_runs_parked_total",
      help: "Runs held back by their tenant's max_concurrent_runs and parked in the worker's intake until one of the tenant's runs there ends (no re-send)",
      labelNames: ["reason"],
      registers,
    }),
    paused: new Gauge({
      name: "chronoring_worker_paused",
      help: "1 while this worker is paused through the API (takes no new runs)",
      registers,
    }),
    phases: new Histogram({
      name: "chronoring_run_phase_seconds",
      help: "Time a run spends in each phase in this worker, by the run's priority: queue (sent, or planned start if sent ahead → taken), admit, start_write, slot_wait (started → a slot for its handler), outcome_write, ack",
      labelNames: ["phase", "priority"],
      buckets: PHASE_BUCKETS,
      registers,
    }),
    handlerLateness: new Histogram({
      name: "chronoring_handler_start_lateness_seconds",
      help: "Time the handler was invoked (after the start write) minus the run's scheduled time (planned start within a flexible window), by the run's priority",
      labelNames: ["priority"],
      buckets: PHASE_BUCKETS,
      registers,
    }),
    slotsFull: new Counter({
      name: "chronoring_worker_slots_full_seconds_total",
      help: "Seconds during which every slot of this worker was held (runs waiting in the queue wait on it)",
      registers,
    }),
  };
}
