import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { MisfireMode } from "../core/time-policy.js";

export interface SchedulerMetrics {
  /** Time the run was handed to the queue minus its scheduled time. */
  fireLateness: Histogram;
  claimed: Counter;
  /** Claims that lost their compare-and-set (taken or changed by someone else). */
  claimsLost: Counter;
  sent: Counter;
  /** Runs sent again by the recovery sweep (claimed but never started). */
  resent: Counter;
  /** Active jobs whose record the sweep found all started and left unwritten (`recordMayStay`). */
  recordsLeft: Counter;
  sendFailures: Counter;
  /**
   * Claimed runs of a partition taken over from a node that left, neither
   * started nor overdue: sent at once (their time had come) or held until it.
   */
  takeover: Counter<"action">;
  loopErrors: Counter<"loop">;
  /** How far behind the oldest due, unclaimed run of a partition was at its last pass. */
  lag: Gauge<"partition">;
  /** Partitions this node fires. */
  owned: Gauge;
  /** The store's partition count (the same on every node): owned partitions should add up to it. */
  partitions: Gauge;
  /**
   * Age of the oldest claimed run that recovery sweeps found not started a
   * start timeout after its time (see overdue-runs.ts): what stands in for
   * the age of the oldest queued message.
   */
  oldestUnstarted: Gauge;
  /** Partitions gained or lost through assignment changes. */
  moves: Counter<"direction">;
  /** Claims (and fences) rejected because a newer owner fenced the partition. */
  fenced: Counter;
  /** Runs dropped by a misfire policy, by policy. */
  missed: Counter<"policy">;
  /** Claim passes, by what they claimed from: a due-index read, runs known from an earlier read, or the HIGH index. */
  passes: Counter<"source">;
  /** HIGH runs of partitions this node stands by for, by what the standby did (standby.ts). */
  standby: Counter<"action">;
}

/**
 * Misfire policies, each reported from the start: a series born at its
 * first increment hides that increment from `increase()` and `rate()`.
 */
const MISFIRE_POLICIES: readonly MisfireMode[] = ["SKIP", "FIRE_ONCE", "FIRE_ALL"];
/** The scheduler's loops, likewise reported from the start. */
const LOOPS = ["fence", "sweep", "claim", "high", "standby"] as const;

export function createSchedulerMetrics(registry: Registry): SchedulerMetrics {
  const registers = [registry];
  const missed = new Counter({
    name: "chronoring_runs_missed_total",
    help: "Runs dropped by a job's misfire policy (SKIP, FIRE_ONCE, FIRE_ALL) after an outage",
    labelNames: ["policy"],
    registers,
  });
  for (const policy of MISFIRE_POLICIES) missed.inc({ policy }, 0);
  const loopErrors = new Counter({
    name: "chronoring_scheduler_errors_total",
    help: "Errors in scheduler loops (each retried)",
    labelNames: ["loop"],
    registers,
  });
  for (const loop of LOOPS) loopErrors.inc({ loop }, 0);
  const takeover = new Counter({
    name: "chronoring_takeover_runs_total",
    help: "Claimed runs of a partition taken over from a node that left: sent again at once (sent) or held until their time (held)",
    labelNames: ["action"],
    registers,
  });
  for (const action of ["sent", "held"]) takeover.inc({ action }, 0);
  const standby = new Counter({
    name: "chronoring_standby_runs_total",
    help: "HIGH runs of partitions this node stands by for, checked after their time (checked): claimed here because their owner had not (claimed), sent again because claimed and not started (sent), or not sent again while the HIGH queue had runs waiting (withheld)",
    labelNames: ["action"],
    registers,
  });
  for (const action of ["checked", "claimed", "sent", "withheld"]) standby.inc({ action }, 0);
  return {
    fireLateness: new Histogram({
      name: "chronoring_fire_lateness_seconds",
      help: "Time a run was sent to the queue minus its scheduled time (its planned start within a flexible window); about minus send-ahead-ms on a node keeping up, counted in the lowest bucket",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    claimed: new Counter({
      name: "chronoring_runs_claimed_total",
      help: "Runs claimed",
      registers,
    }),
    claimsLost: new Counter({
      name: "chronoring_claims_lost_total",
      help: "Claims rejected by the store's compare-and-set",
      registers,
    }),
    sent: new Counter({
      name: "chronoring_runs_sent_total",
      help: "Runs sent to the queue",
      registers,
    }),
    takeover,
    standby,
    resent: new Counter({
      name: "chronoring_runs_resent_total",
      help: "Claimed runs not seen started within the bound and sent again",
      registers,
    }),
    recordsLeft: new Counter({
      name: "chronoring_sweep_records_left_total",
      help: "Active jobs whose claimed runs all started, left for their next claim to replace (no write)",
      registers,
    }),
    sendFailures: new Counter({
      name: "chronoring_send_failures_total",
      help: "Failed attempts to send runs to the queue",
      registers,
    }),
    loopErrors,
    lag: new Gauge({
      name: "chronoring_scheduler_lag_seconds",
      help: "Age of the oldest due, unclaimed run of a partition at its last pass",
      labelNames: ["partition"],
      registers,
    }),
    owned: new Gauge({
      name: "chronoring_partitions_owned",
      help: "Partitions this scheduler node fires",
      registers,
    }),
    partitions: new Gauge({
      name: "chronoring_partitions",
      help: "Logical partitions of the store (fixed at table creation); the scheduler nodes' chronoring_partitions_owned should add up to it",
      registers,
    }),
    oldestUnstarted: new Gauge({
      name: "chronoring_oldest_unstarted_run_age_seconds",
      help: "Age of the oldest claimed run this node's recovery sweeps found not started a start timeout after its time (0: none), as of the last sweep",
      registers,
    }),
    moves: new Counter({
      name: "chronoring_partition_moves_total",
      help: "Partitions gained or lost by this node through assignment changes",
      labelNames: ["direction"],
      registers,
    }),
    fenced: new Counter({
      name: "chronoring_fenced_claims_total",
      help: "Claim passes rejected because a newer owner fenced the partition",
      registers,
    }),
    missed,
    passes: new Counter({
      name: "chronoring_claim_passes_total",
      help: "Claim passes over a partition, by source: index (read the due index), known (runs read by an earlier pass) or high (the HIGH index, while the partition is behind)",
      labelNames: ["source"],
      registers,
    }),
  };
}
