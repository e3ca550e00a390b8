import type { IdempotencyRecord } from "../idempotency.js";
import type { Job, JobLimits, JobStatus, JobTarget, Schedule } from "../job.js";
import type { NotificationTarget } from "../notification.js";
import type { PauseRecord } from "../pause.js";
import type { Priority } from "../priority.js";
import type { RetryPolicy } from "../retry-policy.js";
import type { TenantScope } from "../tenant.js";
import type { ApplyStore } from "./apply-store.js";
import type { JobBatchStore } from "./job-batch-store.js";

/** One page of a listing; `nextToken` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface JobQuery {
  status?: JobStatus;
  tag?: string;
  owner?: string;
  /** Only jobs whose name contains this text (case-sensitive). */
  nameContains?: string;
  /** Only jobs no scheduled run of which has been handed to the queue yet (no `lastRunMs`). */
  neverRun?: boolean;
  /** Only jobs with this external key (a live one, and cancelled ones that held it). */
  externalKey?: string;
  /** Only jobs managed by this ApplyJobs namespace. */
  applyNamespace?: string;
  pageSize: number;
  pageToken?: string;
}

/**
 * A job's hold on one of its tenant's active-schedule slots (the
 * `max_active_schedules` quota, docs/tenants-and-quotas.md), changed in the
 * same write as the job. `untilMs` is when the job may finish by itself
 * (`activeUntil`): after it, the store looks whether it did.
 */
export type SlotChange =
  /**
   * Takes a slot; refused with resource_exhausted when the tenant has none
   * free. `defaultLimit` applies when the tenant has no quota of its own.
   */
  | { kind: "take"; defaultLimit: number; untilMs: number }
  /** The job holds one and keeps it. */
  | { kind: "keep"; untilMs: number }
  /** Gives it back. */
  | { kind: "free" };

/**
 * Fields an API call may change. `nextRunMs: null` takes the job out of the
 * due index; a `nextRunMs` set moves the job's recovery deadline to
 * `MOVED_RUN_RECHECK_MS` after the change (`claim-rules.ts`), in the same write.
 */
export interface JobChange {
  name?: string;
  schedule?: Schedule;
  target?: JobTarget;
  tags?: string[];
  owner?: string;
  status?: JobStatus;
  nextRunMs?: number | null;
  /** `null` removes them. */
  limits?: JobLimits | null;
  /** `null` removes the policy (no retry). */
  retryPolicy?: RetryPolicy | null;
  priority?: Priority;
  /** Replaces the targets; empty removes them. */
  notifications?: NotificationTarget[];
  /**
   * With it, the change is also conditional on the job holding a slot
   * (keep, free) or not (take): aborted when that changed since it was read.
   */
  slot?: SlotChange;
  /**
   * The job's external key, given back in the same write (on cancel), so
   * that a new job may take it.
   */
  releaseKey?: string;
  /** Replaces the pause history (PauseJob, ResumeJob: with the status, in the same write). */
  pauses?: PauseRecord[];
  /** 0 removes the policy. */
  pauseAfterFailures?: number;
  /** Sets the runs left and the runs granted; `null` removes the limit. */
  remainingRuns?: number | null;
  /**
   * Sets the count of failed runs in a row to 0 (ResumeJob); the job stays
   * failing until a run succeeds (`clearFailures` of the store).
   */
  clearFailures?: boolean;
}

/** Preconditions of an API change; a failed one throws aborted or failed_precondition. */
export interface JobExpectation {
  version?: number;
  statusIn?: JobStatus[];
}

/** A job found in the due index of a partition. */
export interface DueJob {
  id: string;
  /**
   * The job's tenant: its runs carry it, its calendar is resolved in it.
   * From the due index (which projects it), or read with the page where an
   * older index does not.
   */
  tenant: string;
  partition: number;
  nextRunMs: number;
  schedule: Schedule;
  /** What a run does, as of this read (sent along with the run). */
  target?: JobTarget;
  /** Current deadline of the job's recovery check, if one is pending. */
  recoverAtMs?: number;
  /** The job's run limits (sent along with the run), if it has any. */
  limits?: JobLimits;
  /**
   * The queue its runs go to. Absent when the due index cannot tell (a table
   * created before priorities does not project it): the claimer reads the job.
   */
  priority?: Priority;
  /** The job has notification targets: the worker reads it after the outcome. */
  notify?: boolean;
  /**
   * Scheduled runs the job may still fire (`run-budget.ts`); absent: no
   * limit. Its claim is conditional on this value, as read.
   */
  remainingRuns?: number;
}

/**
 * Claims the run of `job` at `job.nextRunMs`: a compare-and-set on the job's
 * next run that moves it to `nextRunMs` (absent: the schedule is done) and
 * records the claimed run in the same item write.
 */
export interface Claim {
  job: DueJob;
  nextRunMs: number | undefined;
  /** When the recovery sweep must check that the run started. */
  recoverAtMs: number;
  /**
   * A misfire catch-up: the runs recorded instead of `job.nextRunMs` (may be
   * empty), still conditional on `job.nextRunMs`. Absent: that one run.
   */
  runs?: number[];
  /** Runs dropped by the misfire policy, added to the job's count. */
  missed?: number;
  /**
   * The job's record holds only runs that started (`recordReplaceable`):
   * the claim's runs and plan replace the record's instead of joining them.
   */
  replacesRecord?: boolean;
  /**
   * The planned start of the run at `job.nextRunMs` in its flexible window
   * (see `window-spread.ts`), recorded with the claim so that the recovery
   * sweep and a takeover keep it. Absent: no window, or a catch-up.
   */
  plannedMs?: number;
  /**
   * The job's remaining runs after this claim, for a job that has a limit
   * (`job.remainingRuns` set): stored by the claim, which is conditional on
   * the count read. 0 comes with no `nextRunMs`: the job is FINISHED.
   */
  remainingRuns?: number;
  /**
   * Filled by `claimRuns` when the claim is won: the job's failure state as
   * the claim's write found it (its answer, no read), for the runs'
   * messages (`OutgoingRun.failing`).
   */
  found?: ClaimFound;
}

/** A won claim's view of its job's failure policy (`failure-policy.ts`). */
export interface ClaimFound {
  /** The job's last counted run failed. */
  failing: boolean;
  /** The job has `pause_after_failures`: its runs' outcomes may pause it. */
  pausesAfterFailures: boolean;
}

/** The planned start of a claimed run with a flexible window, as recorded by its claim. */
export interface RunPlan {
  scheduledMs: number;
  plannedMs: number;
}

/**
 * The claimant's ownership of a partition: the assignment epoch at which it got
 * the partition. Claims under a fence fail once a newer owner fenced it.
 */
export interface Fence {
  partition: number;
  epoch: number;
  owner: string;
}

/** A job whose claimed runs the recovery sweep must check. */
export interface PendingRuns {
  jobId: string;
  partition: number;
  status: JobStatus;
  /** Scheduled times of claimed runs not yet seen started. */
  scheduled: number[];
  /** Scheduled times of TriggerJob runs not yet seen started. */
  manual: number[];
  /** The planned starts recorded for runs of `scheduled` with a flexible window. */
  plans?: RunPlan[];
  /** Changes on every claim and trigger; settles are conditional on it. */
  claimSeq: number;
  recoverAtMs: number;
  /** Still has runs ahead (ACTIVE with a next run). */
  active: boolean;
  /** The next run, when `active`: its claim comes no sooner than a look-ahead before it. */
  nextRunMs?: number;
}

/**
 * What the sweep learned about one job: runs seen started leave the record
 * (a delete from the sets, which commutes with concurrent claims). Moving
 * the deadline needs no condition; clearing it does (`claimSeq`), since a
 * claim may just have recorded a run that needs it.
 */
export interface Settlement {
  jobId: string;
  /** Required when `recoverAtMs` is undefined: clear only if no claim came since. */
  claimSeq?: number;
  startedScheduled: number[];
  startedManual: number[];
  /** The recorded plans of started runs, removed with them. */
  startedPlans?: RunPlan[];
  /** Next check, or undefined to clear it (nothing left to check). */
  recoverAtMs: number | undefined;
}

/**
 * Durable jobs, the due index and the claim records. Calls made for a caller
 * name its tenant: a job of another tenant is not found (same error as an
 * unknown id). The claim and recovery calls serve every tenant of a partition.
 */
export interface JobStore extends JobBatchStore, ApplyStore {
  /** Creates tables and indexes when missing. */
  init(): Promise<void>;
  /**
   * Fails with already_exists when the id is taken. With `slot`, the job
   * takes one of its tenant's active-schedule slots in the same transaction
   * (resource_exhausted when none is free). With `job.externalKey`, the
   * key is taken in the same write: already_exists naming `external_key`
   * when a live job of the tenant holds it.
   */
  createJob(job: Job, slot?: Extract<SlotChange, { kind: "take" }>): Promise<void>;
  /**
   * Creates `job` and records its idempotency key in one transaction, unless
   * the owner's key is recorded and unexpired: then returns the job that key
   * created (same request hash) or throws already_exists naming
   * `idempotency_key` (different request).
   */
  createJobOnce(
    job: Job,
    record: IdempotencyRecord,
    slot?: Extract<SlotChange, { kind: "take" }>,
  ): Promise<Job>;
  /** Undefined when unknown or not in `scope`. */
  getJob(scope: TenantScope, id: string): Promise<Job | undefined>;
  /** The tenant's jobs only; a page token continues the same tenant's listing. */
  listJobs(tenant: string, query: JobQuery): Promise<Page<Job>>;
  /**
   * Conditional change that bumps `version`; returns the job as stored after
   * it. not_found when unknown or another tenant's.
   */
  updateJob(
    tenant: string,
    id: string,
    change: JobChange,
    expect: JobExpectation,
    nowMs: number,
  ): Promise<Job>;
  /** Records a TriggerJob run durably before it is queued; fails for a cancelled job. */
  recordManualRun(
    tenant: string,
    id: string,
    scheduledMs: number,
    recoverAtMs: number,
  ): Promise<Job>;

  /**
   * Jobs of one partition due at or before `untilMs`, earliest first. With
   * `only: "HIGH"`, only HIGH jobs (a sparse index of their own, so that a
   * HIGH run is found ahead of a backlog of lower ones; empty while a table
   * created before it is still building it).
   */
  dueJobs(partition: number, untilMs: number, limit: number, only?: "HIGH"): Promise<DueJob[]>;
  /**
   * Claims runs; `true` where this caller won, `false` where the run was
   * already taken or changed. With a fence (all claims in its partition), the
   * claims are conditional on it too, and a stale fence throws StaleOwnerError.
   */
  claimRuns(claims: Claim[], fence?: Fence): Promise<boolean[]>;
  /**
   * Records `fence` as the partition's owner unless a newer epoch is recorded;
   * `false` means the caller is stale for that partition.
   */
  fencePartition(fence: Fence): Promise<boolean>;
  /** The highest epoch any partition was fenced at; 0 when none was. */
  highestFenceEpoch(): Promise<number>;
  /**
   * The partition's sweep mark: an owner's recovery sweep checked every
   * deadline up to it (`recordSweptTo`). A new owner's first sweep starts
   * from it rather than from the whole recovery horizon: the records the
   * sweep left unwritten (`recordMayStay`) keep passed deadlines. Undefined
   * when none was recorded.
   */
  sweptTo(partition: number): Promise<number | undefined>;
  /**
   * Records the partition's sweep mark. Unconditional: any owner's mark,
   * a stale one's too, tells what its own sweeps checked.
   */
  recordSweptTo(partition: number, ms: number): Promise<void>;

  /** Jobs of one partition whose recovery deadline is in `(fromMs, toMs]`, earliest first. */
  pendingRuns(
    partition: number,
    fromMs: number,
    toMs: number,
    limit: number,
    pageToken?: string,
  ): Promise<Page<PendingRuns>>;
  /** Removes started runs from the record; `false` when a claim raced it (try later). */
  settleRuns(settlement: Settlement): Promise<boolean>;
  /**
   * The job's status and claim record as they are now (one strongly
   * consistent read): the scheduled times of its claimed and of its
   * triggered runs not yet seen started, every claim and trigger committed
   * before the call included. Undefined for an unknown job. What a stop
   * ends CANCELLED (`job-states.ts`).
   */
  claimedRuns(jobId: string): Promise<ClaimedRuns | undefined>;
  /**
   * Of these scheduled runs, those a claim recorded and no settle has removed
   * yet, as `<job id>:<scheduled ms>` (read strongly consistent). A run sent
   * again is sent only if recorded: a run never claimed may belong to a job
   * paused or deleted since.
   */
  recordedClaims(runs: Array<{ jobId: string; scheduledMs: number }>): Promise<Set<string>>;

  /**
   * Adds one to the job's count of failed runs in a row (a worker, after a
   * run's final FAILED or DEAD outcome; `failure-policy.ts`), without a
   * version change. Once per `executionId`: a retried write whose first try
   * was applied counts nothing more. Returns the job after it; undefined
   * when it is gone, CANCELLED or another tenant's.
   */
  countFailure(tenant: string, id: string, executionId: string): Promise<Job | undefined>;
  /**
   * Ends the job's failing spell, if it is in one (its last counted run
   * failed; ResumeJob sets the count to 0 but not this): the count to 0, the
   * mark removed (a success after failures). Returns the job as it was
   * before, or undefined when it was not failing (another success recovered
   * it first; or the job is gone).
   */
  clearFailures(tenant: string, id: string): Promise<Job | undefined>;
}

/** A job's status with its claim record: runs recorded by claims and TriggerJob, not yet seen started. */
export type ClaimedRuns = Pick<PendingRuns, "status" | "scheduled" | "manual">;
