import type { DatabaseTarget } from "./database-target.js";
import type { NotificationTarget } from "./notification.js";
import type { PauseRecord } from "./pause.js";
import type { Priority } from "./priority.js";

/**
 * Domain types of a job. Every instant is UTC epoch milliseconds; time zones
 * exist only inside the schedule evaluator (`schedule/`).
 */

import type { FileTarget } from "./file-target.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { TimePolicies } from "./time-policy.js";

export type JobStatus = "ACTIVE" | "PAUSED" | "CANCELLED" | "FINISHED";

/** A validated schedule, ready for the evaluator. `source` keeps what the user wrote. */
export type Schedule = (
  | { kind: "once"; at: number }
  | {
      kind: "interval";
      /** As entered: `rate(5 minutes)` or `90s`. */
      source: string;
      periodMs: number;
      /** Runs fall on `anchorMs + k * periodMs`. */
      anchorMs: number;
      startMs?: number;
      endMs?: number;
    }
  | {
      kind: "cron";
      /** As entered: 5 or 6 fields, or `cron(...)` (AWS form). */
      source: string;
      timeZone: string;
      startMs?: number;
      endMs?: number;
    }
) &
  TimePolicies;

export interface HttpTarget {
  type: "http";
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Request body, base64; absent for none. */
  bodyBase64?: string;
  timeoutMs: number;
}

export interface ScriptTarget {
  type: "script";
  command: string;
  args: string[];
  env: Record<string, string>;
  timeoutMs: number;
}

export interface NoopTarget {
  type: "noop";
  sleepMs: number;
}

/** POSTs a signed JSON envelope; see proto WebhookTarget. */
export interface WebhookTarget {
  type: "webhook";
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** HMAC-SHA256 signing key; write-only (the API shows `has_secret`). */
  secret?: string;
  /** JSON text placed as `payload` in the envelope. */
  payload?: string;
}

/** Starts a workflow run (the target of a workflow's trigger job, see `workflow/`). */
export interface WorkflowTarget {
  type: "workflow";
  workflowId: string;
}

export type { DatabaseTarget } from "./database-target.js";

export type JobTarget =
  | HttpTarget
  | ScriptTarget
  | NoopTarget
  | WebhookTarget
  | WorkflowTarget
  | FileTarget
  | DatabaseTarget;
export type JobType = JobTarget["type"];

export type OverlapPolicy = "ALLOW" | "SKIP" | "BUFFER_ONE" | "CANCEL_PREVIOUS";

/** Limits on a job's runs, enforced when a worker starts one (see `core/limits.ts`). */
export interface JobLimits {
  /** At most this many runs RUNNING at once; absent = no limit. */
  maxConcurrent?: number;
  overlap: OverlapPolicy;
  /** At most `maxRuns` starts per fixed window of `windowMs`. */
  rateLimit?: { maxRuns: number; windowMs: number };
}

export interface Job {
  id: string;
  /** The tenant that owns it; its runs, executions and idempotency key are that tenant's too. */
  tenant: string;
  name: string;
  schedule: Schedule;
  target: JobTarget;
  status: JobStatus;
  tags: string[];
  owner: string;
  /** 1 at creation, +1 on every change made through the API. */
  version: number;
  /** Logical partition, `partitionOf(id)`. */
  partition: number;
  /** The next run to claim; absent when none is scheduled (sparse index). */
  nextRunMs?: number;
  /** Scheduled time of the last claimed run. */
  lastRunMs?: number;
  createdMs: number;
  updatedMs: number;
  /** Concurrency, overlap and rate limits; absent for none. */
  limits?: JobLimits;
  /** Retries of failed runs; absent: none. */
  retryPolicy?: RetryPolicy;
  /** Queue priority of its runs; absent means MEDIUM. */
  priority?: Priority;
  /** Runs dropped by the misfire policy, in total (absent: none). */
  missedRuns?: number;
  /** Told about run outcomes; absent when none (then a run costs no extra read). */
  notifications?: NotificationTarget[];
  /** The key of the CreateJob request that made it, if any. */
  idempotencyKey?: string;
  /** The caller's own name for it, unique among the tenant's live jobs (`external-key.ts`). */
  externalKey?: string;
  /** The ApplyJobs namespace that manages it (set only by an apply). */
  applyNamespace?: string;
  /** Set on a workflow's node jobs: the workflow, and the node jobs this one waits for. */
  workflowId?: string;
  dependsOn?: string[];
  /**
   * Holds one of its tenant's active-schedule slots (see `tenant-quota.ts`):
   * taken when it became ACTIVE, kept until an API call ends that or the
   * store finds it finished.
   */
  holdsSlot?: boolean;
  /** The last pauses (`pause.ts`), oldest first; absent: never paused since they were recorded. */
  pauses?: PauseRecord[];
  /** Pauses the job after this many failed runs in a row (`failure-policy.ts`); absent: never. */
  pauseAfterFailures?: number;
  /** Scheduled runs it may still fire (`run-budget.ts`); absent: no limit, 0: used up. */
  remainingRuns?: number;
  /** The `remainingRuns` last set through the API, which ApplyJobs compares; absent: none. */
  grantedRuns?: number;
  /** Its runs that failed in a row, by final outcome; absent: none. */
  consecutiveFailures?: number;
}
