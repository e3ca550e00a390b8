import type { Logger } from "pino";
import type { SlotDeps } from "../core/active-slots.js";
import type { Clock } from "../core/clock.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import type { OutcomeNotifications } from "../notify/outcome.js";
import type { FailureStreak } from "./failure-streak.js";
import type { HandlerRegistry } from "./handlers/registry.js";
import type { LimitedStartDeps } from "./limited-start.js";
import type { WorkerMetrics } from "./metrics.js";
import type { createOutcomeRecorder, RetryDeps } from "./outcome.js";
import type { TenantGate } from "./tenant-gate.js";
import type { NodeHook } from "./workflow-hook.js";

export interface WorkerOptions {
  id: string;
  concurrency: number;
  /** The queue's visibility timeout; a running message is extended every third of it. */
  visibilityTimeoutS: number;
  /** How long `stop` waits for runs in progress before aborting them. */
  drainTimeoutMs: number;
  /** Received runs that may wait in the intake beyond `concurrency`; default `concurrency`. */
  intakeBuffer?: number;
  /**
   * A run handed over after a lost session is sent again by the recovery
   * sweep if not started this long after (the start timeout); default 10 s.
   */
  lostRunRecheckMs?: number;
}

/** What `startWorker` is built from. */
export interface WorkerDeps {
  queue: WorkQueue;
  jobs: JobStore;
  executions: ExecutionStore;
  handlers: HandlerRegistry;
  /** Every timer of the worker runs on it (visibility heartbeats, drain timeout, cancel checks). */
  clock: Clock;
  logger: Logger;
  metrics: WorkerMetrics;
  options: WorkerOptions;
  /**
   * False while this worker may not take runs (its cluster session is not
   * live, it is paused, or its store is out of reach).
   */
  canWork?: () => boolean;
  /** Each run's start (its store calls) goes through it: the role watches them for an outage. */
  storeCalls?: { track<T>(call: () => Promise<T>): Promise<T> };
  /** Enforces job limits; without it, limits are ignored (a worker of a test that needs none). */
  limits?: Omit<LimitedStartDeps, "clock">;
  /** Retry policies and dead runs; without them a failure stays FAILED. */
  retry?: RetryDeps;
  /** Told after each final outcome (succeeded, failed, dead), in the background. */
  notifications?: OutcomeNotifications;
  /** Advances workflow runs when a node's run ends; without it, workflows do not advance. */
  workflows?: NodeHook;
  /** Tenants' fire-time quotas (fires per minute, concurrent runs); without it, none. */
  tenantGate?: TenantGate;
  /**
   * The tenants' active-schedule quota: a job this worker pauses (its
   * `pause_after_failures`) gives its slot back, as PauseJob does. Without
   * it, slots are not counted (a worker of a test that needs none).
   */
  slots?: SlotDeps;
}

/** What one run's steps (`run-start.ts`, `run-execute.ts`) share with the worker. */
export interface RunScope {
  deps: WorkerDeps;
  outcomes: ReturnType<typeof createOutcomeRecorder>;
  /** The job's failed runs in a row, after each final outcome (`failure-streak.ts`). */
  streak: FailureStreak;
  /** Aborted when the drain timeout of a stop passed: every handler is aborted. */
  hardStop: AbortSignal;
  /** Each running handler's abort, so that a lost session stops them. */
  aborts: Set<AbortController>;
  /** Files a run held for its tenant's concurrency back into the intake. */
  park(delivery: Delivery): boolean;
}
