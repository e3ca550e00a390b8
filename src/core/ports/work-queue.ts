import type { RunRef, RunWait, UntenantedRun } from "../execution.js";
import type { JobLimits, JobTarget } from "../job.js";
import type { Priority } from "../priority.js";

/**
 * W3C trace context of a run (`traceparent`, optionally `tracestate`), as
 * plain strings: the queue carries it beside the message so that the
 * worker's span continues the trace of the fire that sent it.
 */
export type TraceCarrier = Record<string, string>;

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
  /** Deliver no sooner than this from now (a retry's backoff, a run waiting for its limits); at most the queue's limit. */
  delayMs?: number;
  /** The queue it goes to; absent means MEDIUM (see `withJobFields` for senders that do not know). */
  priority?: Priority;
  /** The job has notification targets (the worker reads the job after the outcome). */
  notify?: boolean;
  /** The trace this run continues; absent: the queue takes the sender's active trace, if any. */
  trace?: TraceCarrier;
  /** Set on a run sent again because it was held back (quotas, limits): why, since when. */
  wait?: RunWait;
  /**
   * The run is in its job's claim record: the claim or TriggerJob that
   * recorded it sent it (or a worker re-sent it). A stop of the job (pause,
   * cancel, delete) writes its CANCELLED record (`core/job-states.ts`), so
   * its start is refused by the execution's conditional Put alone and the
   * worker does not read the job. Absent: the start reads the job's status.
   */
  claimed?: boolean;
  /**
   * Whether the job was failing (`failure-policy.ts`) as its claim's write
   * found it: the worker then reads the job for neither a stop nor this.
   * Absent (a job whose failure policy may pause it, a sender that does not
   * know): a claimed run's start reads the job after its write.
   */
  failing?: boolean;
};

/** A run received from the queue; hold it invisible with `extend`, remove it with `ack`. */
export interface Delivery {
  /** Without a tenant when the sender did not know it (sent before tenancy): the worker reads the job. */
  run: UntenantedRun;
  /** The job's target as of the claim, when the sender included it. */
  target?: JobTarget;
  /** The job's run limits as of the claim, when the sender included the target. */
  limits?: JobLimits;
  /** The job had notification targets as of the claim. */
  notify?: boolean;
  /** The workflow of a node's run, when the sender included it (with the target). */
  workflowId?: string;
  /** How many times the queue has delivered this message (1 the first time). */
  receiveCount: number;
  /** When the message was sent, epoch ms. */
  sentMs: number;
  /** Opaque handle for ack and extend. */
  handle: string;
  /** The queue it came from (ack and extend go there); absent means MEDIUM. */
  priority?: Priority;
  /** The trace context the sender put on the message, when tracing was on there. */
  trace?: TraceCarrier;
  /** The run was held back before (quotas, limits): why, since when, how often re-sent. */
  wait?: RunWait;
  /** The run is in its job's claim record (see `OutgoingRun.claimed`). */
  claimed?: boolean;
  /** Whether the job was failing as its claim found it (see `OutgoingRun.failing`). */
  failing?: boolean;
}

/** A message `extendAll` could not extend: gone, refused, or its request failed. */
export interface ExtendFailure {
  delivery: Delivery;
  error: Error;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** The transport that carries due runs to workers. The store stays the source of truth. */
export interface WorkQueue {
  /** Creates queues when missing (one per priority). */
  init(): Promise<void>;
  /** Sends each run to the queue of its priority. */
  send(runs: OutgoingRun[]): Promise<void>;
  /** Long-polls the queue of `priority` (default MEDIUM) for up to `max` runs, waiting at most `waitMs`. */
  receive(
    max: number,
    waitMs: number,
    signal?: AbortSignal,
    priority?: Priority,
  ): Promise<Delivery[]>;
  ack(delivery: Delivery): Promise<void>;
  /** Keeps the message invisible for `seconds` more from now. */
  extend(delivery: Delivery, seconds: number): Promise<void>;
  /**
   * `extend` for many messages in as few requests as the queue takes (SQS:
   * 10 a request). Each message succeeds or fails on its own: one that is
   * gone (acknowledged, or its receipt expired) is no error for the others.
   * Never rejects; resolves with the messages not extended and why.
   */
  extendAll(deliveries: readonly Delivery[], seconds: number): Promise<ExtendFailure[]>;
  /** The depth of one priority's queue, or without `priority` the sum over all of them. */
  depth(priority?: Priority): Promise<QueueDepth>;
}
