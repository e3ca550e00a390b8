import { Counter, Gauge, type Registry } from "prom-client";

export interface ClusterMetrics {
  /** Times this node became leader. */
  leaderChanges: Counter;
  isLeader: Gauge;
  /** Assignments this node published as leader. */
  assignmentsPublished: Counter;
  /** Attempts re-queued because their worker's lease lapsed. */
  requeued: Counter;
  /** Sessions lost (own keep-alive deadline passed) and rejoined. */
  sessionsLost: Counter<"role">;
  /** Wake hints for scheduled runs (API nodes): sent, skipped (not needed), failed. */
  wakeHints: Counter<"result">;
}

export function createClusterMetrics(registry: Registry): ClusterMetrics {
  const registers = [registry];
  return {
    leaderChanges: new Counter({
      name: "chronoring_leader_changes_total",
      help: "Times this node won the leader election",
      registers,
    }),
    isLeader: new Gauge({
      name: "chronoring_is_leader",
      help: "1 while this node is leader",
      registers,
    }),
    assignmentsPublished: new Counter({
      name: "chronoring_assignments_published_total",
      help: "Partition assignments published by this node as leader",
      registers,
    }),
    requeued: new Counter({
      name: "chronoring_runs_requeued_total",
      help: "RUNNING attempts of lost workers re-queued as a new attempt",
      registers,
    }),
    sessionsLost: new Counter({
      name: "chronoring_sessions_lost_total",
      help: "Cluster sessions lost by this process (keep-alive deadline passed), by role",
      labelNames: ["role"],
      registers,
    }),
    wakeHints: new Counter({
      name: "chronoring_wake_hints_total",
      help: "Wake hints for runs this API node scheduled: sent, skipped (a poll finds the run in time), failed",
      labelNames: ["result"],
      registers,
    }),
  };
}
