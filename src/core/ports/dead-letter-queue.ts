/** What the dead letter queue carries about a dead run. */
export interface DeadRunMessage {
  executionId: string;
  jobId: string;
  scheduledMs: number;
  attempt: number;
  /** Why the last attempt failed, and why no retry followed. */
  error: string;
  deadMs: number;
}

/**
 * The transport that tells external consumers about dead runs. The store's
 * dead list is the source of truth (DeadLetterService reads it); a message
 * lost here loses no run.
 */
export interface DeadLetterQueue {
  /** Creates the queue when missing. */
  init(): Promise<void>;
  publish(message: DeadRunMessage): Promise<void>;
  /** Removes every message (PurgeDeadRuns with `all`). */
  purge(): Promise<void>;
}
