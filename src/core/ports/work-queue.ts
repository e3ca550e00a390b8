import type { RunRef } from "../execution.js";
import type { JobLimits, JobTarget } from "../job.js";

/**
 * A run to send. The job's target as the scheduler read it may ride along,
 * so that the worker need not read the job (the run executes the target as
 * of its claim); without it the worker reads the job.
 */
export type OutgoingRun = RunRef & {
  target?: JobTarget;
  /** The job's run limits as of the claim; they ride along with the target. */
  limits?: JobLimits;
  /** Set on a workflow node's run: the worker reports its outcome to the workflow run. */
  workflowId?: string;
  /** Deliver no sooner than this from now (SQS allows up to 15 minutes). */
  delayMs?: number;
};

/** A run received from the queue; hold it invisible with `extend`, remove it with `ack`. */
export interface Delivery {
  run: RunRef;
  /** The job's target as of the claim, when the sender included it. */
  target?: JobTarget;
  /** The job's run limits as of the claim, when the sender included the target. */
  limits?: JobLimits;
  /** The workflow of a node's run, when the sender included it (with the target). */
  workflowId?: string;
  /** How many times the queue has delivered this message (1 the first time). */
  receiveCount: number;
  /** When the message was sent, epoch ms. */
  sentMs: number;
  /** Opaque handle for ack and extend. */
  handle: string;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** The transport that carries due runs to workers. The store stays the source of truth. */
export interface WorkQueue {
  /** Creates queues when missing. */
  init(): Promise<void>;
  send(runs: OutgoingRun[]): Promise<void>;
  /** Long-polls for up to `max` runs, waiting at most `waitMs`. */
  receive(max: number, waitMs: number, signal?: AbortSignal): Promise<Delivery[]>;
  ack(delivery: Delivery): Promise<void>;
  /** Keeps the message invisible for `seconds` more from now. */
  extend(delivery: Delivery, seconds: number): Promise<void>;
  depth(): Promise<QueueDepth>;
}
