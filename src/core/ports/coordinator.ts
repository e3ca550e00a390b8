/**
 * Cluster coordination (etcd in production): sessions kept alive on a lease,
 * membership, leader election and the published partition assignment.
 * Ownership learned here is advisory: correctness comes from the store's
 * conditional writes (claims are fenced by the partition's epoch).
 */

export type MemberRole = "scheduler" | "worker";

export interface Member {
  id: string;
  role: MemberRole;
  /** Wall-clock time the member joined, epoch ms (informational). */
  joinedMs: number;
  /** Free-form details (host, pid, API address). */
  info: Record<string, string>;
}

/** A lease kept alive by this process. */
export interface Session {
  /** The lease id (hex). */
  readonly id: string;
  readonly ttlMs: number;
  /**
   * True while the last acknowledged keep-alive is younger than the TTL minus
   * a safety margin: the process's own deadline, not the client's late event.
   */
  isLive(): boolean;
  /** Called once, when the own deadline passes or the lease is found gone. */
  onLost(listener: () => void): void;
  /** Called after each acknowledged keep-alive (the member's heartbeat), until the session ends. */
  onRenewed(listener: () => void): void;
  /** Revokes the lease (keys under it vanish at once). */
  close(): Promise<void>;
}

/** Leadership won by `campaign`; lost when the session is lost or on `resign`. */
export interface Leadership {
  /** The etcd revision at which this leader was elected (grows with every leader). */
  readonly term: number;
  isLeader(): boolean;
  onLost(listener: () => void): void;
  resign(): Promise<void>;
}

/**
 * Which node fires which partition. `epoch` is the etcd revision of the
 * publication; `since[p]` is the epoch at which partition p got its current
 * owner (unchanged partitions keep theirs), used to fence claims.
 */
export interface Assignment {
  epoch: number;
  owners: string[];
  since: number[];
}

export interface Coordinator {
  openSession(ttlMs: number): Promise<Session>;
  /** Registers `member` under the session's lease (vanishes with it). */
  register(session: Session, member: Member): Promise<void>;
  members(role: MemberRole): Promise<Member[]>;
  /**
   * Calls `onChange` with the full member list now and after every change,
   * re-reading after a compacted revision or a reconnect. Returns a stop function.
   */
  watchMembers(
    role: MemberRole,
    onChange: (members: Member[]) => void,
  ): Promise<() => Promise<void>>;
  /** Resolves when this session becomes leader (or rejects when `signal` aborts). */
  campaign(session: Session, candidateId: string, signal?: AbortSignal): Promise<Leadership>;
  /** The current leader's candidate id, if any. */
  leader(): Promise<string | undefined>;
  /**
   * Publishes an assignment if `leadership` still holds (a transaction on the
   * leader key); returns the epoch (revision) it was published at.
   * `since` entries of 0 mean "this publication's epoch".
   */
  publishAssignment(leadership: Leadership, owners: string[], since: number[]): Promise<number>;
  readAssignment(): Promise<Assignment | undefined>;
  /** Like watchMembers, for the assignment. */
  watchAssignment(onChange: (assignment: Assignment) => void): Promise<() => Promise<void>>;
  /** Records a worker id durably (no lease), so that a leader can tell it died later. */
  rememberWorker(id: string): Promise<void>;
  knownWorkers(): Promise<string[]>;
  forgetWorker(id: string): Promise<void>;
  /**
   * Records (or clears) that a worker must take no runs. Durable, without a
   * lease: it outlives the worker's session until cleared.
   */
  setWorkerPaused(id: string, paused: boolean): Promise<void>;
  /** Ids of the workers paused now. */
  pausedWorkers(): Promise<string[]>;
  /**
   * Calls `onChange` with whether worker `id` is paused now and after every
   * change, re-reading after a compacted revision or a reconnect. Returns a stop function.
   */
  watchWorkerPaused(id: string, onChange: (paused: boolean) => void): Promise<() => Promise<void>>;
  /**
   * Tells the scheduler nodes that a run is now due at `nextRunMs` in
   * `partition` (an API node created or changed a job). A hint only saves
   * time: a lost one is made up by the next periodic poll.
   */
  hintWake(partition: number, nextRunMs: number): Promise<void>;
  /** Calls `onWake` for each hint published after the call. Returns a stop function. */
  watchWakes(onWake: (partition: number, nextRunMs: number) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
