import { Counter, Gauge, type Registry } from "prom-client";
import type { MemberRole } from "../core/ports/coordinator.js";

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
  /** Live members by role as the leader sees them; only the leader reports it. */
  members: Gauge<"role">;
  /**
   * This process's member of `role` got its lease granted or renewed now:
   * its heartbeat. A renewal (not the grant) also counts in
   * `chronoring_lease_renewals_total`.
   */
  leaseRenewed(role: MemberRole, renewal: boolean): void;
  /** This process's member of `role` left the cluster on purpose: no heartbeat is due. */
  leaseReleased(role: MemberRole): void;
}

export function createClusterMetrics(registry: Registry): ClusterMetrics {
  const registers = [registry];
  /** When each role's member of this process last renewed (or was granted) its lease, epoch ms. */
  const renewedAt = new Map<MemberRole, number>();
  const renewals = new Counter({
    name: "chronoring_lease_renewals_total",
    help: "etcd lease keep-alives acknowledged for this process's members (its heartbeats), by role",
    labelNames: ["role"],
    registers,
  });
  new Gauge({
    name: "chronoring_lease_renewal_age_seconds",
    help: "Seconds since this process's member last got its lease renewed (or granted), by role; past the session TTL it has lost its session and stopped work",
    labelNames: ["role"],
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const [role, at] of renewedAt) this.set({ role }, Math.max(0, now - at) / 1000);
    },
  });
  return {
    leaseRenewed(role, renewal) {
      renewedAt.set(role, Date.now());
      if (renewal) renewals.inc({ role });
    },
    leaseReleased(role) {
      renewedAt.delete(role);
    },
    members: new Gauge({
      name: "chronoring_cluster_members",
      help: "Live cluster members by role, as the leader sees them (reported by the leader only)",
      labelNames: ["role"],
      registers,
    }),
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
