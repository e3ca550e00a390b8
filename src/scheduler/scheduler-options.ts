/** The scheduler's settings and its face to the roles that drive it (scheduler.ts). */

export interface SchedulerOptions {
  lookaheadMs: number;
  /** How long before its planned start a run is sent (absent or 0: at its time; `dispatcher.ts`). */
  sendAheadMs?: number;
  /** How far beyond the look-ahead a read looks; also the longest sleep of a loop. */
  pollIntervalMs: number;
  /** The longest pause between due-index reads of a partition (absent: the poll interval). */
  pollBackstopMs?: number;
  batchSize: number;
  /** Claim writes of MEDIUM and LOW runs in flight at most (absent: 32); HIGH ones are not held back. */
  claimConcurrency?: number;
  startTimeoutMs: number;
  /** The shortest pause between two sweeps of a partition. */
  sweepIntervalMs: number;
  /** The longest pause between two sweeps of a partition (absent: the sweep interval). */
  sweepBackstopMs?: number;
  /**
   * After a takeover, runs due this long before it are sent again even with
   * a queue backlog (see takeover.ts; absent: 5 s).
   */
  lostOwnerMs?: number;
  recoveryHorizonMs: number;
  concurrency: number;
  /** How long a cached calendar is trusted (absent: 30 s). */
  calendarTtlMs?: number;
  /** A HIGH run of a partition stood by for is checked this long after its time (absent or 0: no standby). */
  standbyHedgeMs?: number;
}

/** A partition this node should fire; `epoch` (cluster mode) fences its claims. */
export interface OwnedPartition {
  partition: number;
  epoch?: number;
  /** Gained from a node that left: its claimed runs are sent again at once (takeover.ts). */
  takeover?: boolean;
}

export interface Scheduler {
  /** Sets the partitions this node fires; gained ones start, lost ones stop. */
  setPartitions(partitions: OwnedPartition[]): void;
  /** Partitions this node fires now (not stale). */
  owned(): OwnedPartition[];
  /**
   * Sets the partitions this node stands by for (whose HIGH runs it claims
   * or sends again when their owner has not: standby.ts).
   */
  setStandby(partitions: number[]): void;
  /** A job in `partition` now runs next at `nextRunMs` (created or changed in this process). */
  wake(partition: number, nextRunMs: number): void;
  /** Runs held until their time. */
  readonly held: number;
  /** Stops polling, sends what is already due and returns. */
  stop(): Promise<void>;
}
