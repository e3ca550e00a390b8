import { invalidArgument } from "../../core/errors.js";
import type { Execution } from "../../core/execution.js";
import type { IdempotencyRecord } from "../../core/idempotency.js";
import type { Job } from "../../core/job.js";
import type { LimitState } from "../../core/limits.js";
import type { FireCounts } from "../../core/ports/fire-stats-store.js";
import type { TenantQuotas } from "../../core/tenant-quota.js";
import type { Calendar } from "../../core/time-policy.js";
import type { Workflow, WorkflowRun } from "../../core/workflow/workflow.js";

/**
 * The state the in-memory stores share, as the DynamoDB tables are shared:
 * an execution's start is conditional on its job's status, a claim on its
 * partition's fence. Values are copied in and out (`structuredClone`), so a
 * caller never changes what is stored by changing what it got back.
 */

/** A job with its claim record (what the DynamoDB item holds beside the job's fields). */
export interface StoredJob {
  job: Job;
  /** Scheduled ms of claimed runs not yet seen started. */
  claimed: Set<number>;
  /** Scheduled ms of TriggerJob runs not yet seen started. */
  claimedManual: Set<number>;
  /** Planned starts of claimed runs with a flexible window, by scheduled ms (the DynamoDB item's `plan`). */
  plans?: Map<number, number>;
  /** Changes on every claim and trigger. */
  claimSeq: number;
  recoverAtMs?: number;
  /** The epoch of the partition owner that last claimed on it (see `dynamodb/claim-writes.ts`). */
  fence?: number;
  /** The end of its active-schedule slot, when it holds one. */
  slotUntilMs?: number;
  /**
   * The execution whose failure was counted last (`countFailure` counts each
   * once); set while the job is failing, until a success clears it.
   */
  lastFailure?: string;
}

export interface StoredExecution {
  execution: Execution;
  /** When a re-queued (QUEUED) attempt is checked again. */
  requeueAtMs?: number;
}

export interface MemoryDb {
  jobs: Map<string, StoredJob>;
  /** Each partition's fence: the epoch and owner that may claim in it. */
  fences: Map<number, { epoch: number; owner: string }>;
  /** Each partition's sweep mark (`JobStore.sweptTo`). */
  sweptTo: Map<number, number>;
  /** `<tenant>/<owner>/<key>` → the record and the job it created. */
  idempotency: Map<string, { record: IdempotencyRecord; jobId: string }>;
  /** `<tenant>\0<external key>` → the live job holding it. */
  externalKeys: Map<string, string>;
  /** `<tenant>\0<namespace>` → its ApplyJobs record (`ports/apply-store.ts`). */
  applyNamespaces: Map<string, { generation: number; token?: string; untilMs?: number }>;
  /** Active-schedule slots taken, per tenant. */
  activeSlots: Map<string, number>;
  /** Quotas an admin set, per tenant (0: unlimited; absent: the default). */
  quotas: Map<string, { custom: Partial<TenantQuotas>; updatedMs?: number }>;
  /** By execution id. */
  executions: Map<string, StoredExecution>;
  /** Execution ids on the dead list. */
  dead: Set<string>;
  /** Each job's limit counters and the sequence number guarding them. */
  limits: Map<string, { state: LimitState; seq: number }>;
  /** Stops asked for RUNNING executions, with the reason. */
  cancelRequests: Map<string, string>;
  /** `<tenant>/<name>`. */
  calendars: Map<string, Calendar>;
  workflows: Map<string, Workflow>;
  /** `<workflow id>:<scheduled ms>`. */
  workflowRuns: Map<string, WorkflowRun>;
  /** `<tenant>/<minute ms>`. */
  fireStats: Map<string, FireCounts>;
}

export function createMemoryDb(): MemoryDb {
  return {
    jobs: new Map(),
    fences: new Map(),
    sweptTo: new Map(),
    idempotency: new Map(),
    externalKeys: new Map(),
    applyNamespaces: new Map(),
    activeSlots: new Map(),
    quotas: new Map(),
    executions: new Map(),
    dead: new Set(),
    limits: new Map(),
    cancelRequests: new Map(),
    calendars: new Map(),
    workflows: new Map(),
    workflowRuns: new Map(),
    fireStats: new Map(),
  };
}

/** A copy of a stored value, so that callers and store never share objects. */
export const copy: <T>(value: T) => T = (value) => structuredClone(value);

/** One page of `sorted` from an offset token. */
export function pageOf<T>(
  sorted: T[],
  pageSize: number,
  pageToken: string | undefined,
): { items: T[]; nextToken?: string } {
  const start = pageToken === undefined || pageToken === "" ? 0 : Number(pageToken);
  if (!Number.isSafeInteger(start) || start < 0) {
    throw invalidArgument("page_token", "not a token returned by this API");
  }
  const items = sorted.slice(start, start + Math.max(1, pageSize));
  const end = start + items.length;
  return end < sorted.length ? { items, nextToken: String(end) } : { items };
}
