/**
 * Domain types of a job. Every instant is UTC epoch milliseconds; time zones
 * exist only inside the schedule evaluator (`schedule/`).
 */

export type JobStatus = "ACTIVE" | "PAUSED" | "CANCELLED" | "FINISHED";

/** A validated schedule, ready for the evaluator. `source` keeps what the user wrote. */
export type Schedule =
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
    };

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

/** Starts a workflow run (the target of a workflow's trigger job, see `workflow/`). */
export interface WorkflowTarget {
  type: "workflow";
  workflowId: string;
}

export type JobTarget = HttpTarget | ScriptTarget | NoopTarget | WorkflowTarget;
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
  /** Set on a workflow's node jobs: the workflow, and the node jobs this one waits for. */
  workflowId?: string;
  dependsOn?: string[];
}
