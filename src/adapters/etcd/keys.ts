import type { MemberRole } from "../../core/ports/coordinator.js";

/**
 * The key layout under the coordinator's prefix (the etcd3 namespace applies
 * the prefix, so these are relative). Leased keys vanish with their session.
 */
export const keys = {
  /** `members/<role>/` — one leased key per live member, value = JSON Member. */
  memberPrefix: (role: MemberRole): string => `members/${role}/`,
  member: (role: MemberRole, id: string): string => `members/${role}/${id}`,
  /** `election/<leaseIdHex>` — one leased key per candidate, value = candidate id. */
  electionPrefix: "election/",
  election: (leaseIdHex: string): string => `election/${leaseIdHex}`,
  /** `assignment` — JSON {owners, since}, written only by the leader's transaction. */
  assignment: "assignment",
  /** `workers/seen/<id>` — no lease: survives the worker, so a leader can tell it died. */
  workerPrefix: "workers/seen/",
  worker: (id: string): string => `workers/seen/${id}`,
  /**
   * `workers/paused/<id>` — no lease: a pause set through the API outlives the
   * worker's session, so a worker restarted with the same id stays paused.
   */
  pausedPrefix: "workers/paused/",
  paused: (id: string): string => `workers/paused/${id}`,
  /**
   * `wake/<partition>` — no lease: the next run time an API node just
   * scheduled in the partition, watched by scheduler nodes (one key per
   * partition, overwritten).
   */
  wakePrefix: "wake/",
  wake: (partition: number): string => `wake/${partition}`,
};
