import { retryAborted, type SlotDeps, slotChange, withFreedSlots } from "./active-slots.js";
import { claimedExecution } from "./claimed-execution.js";
import type { Clock } from "./clock.js";
import { failedPrecondition, notFound } from "./errors.js";
import { type Execution, executionId, type RunRef } from "./execution.js";
import { loadFireContext } from "./fire-context.js";
import { newJobId } from "./ids.js";
import type { Job } from "./job.js";
import { createJobApply } from "./job-apply.js";
import { createJobBatch } from "./job-batch.js";
import { buildJob } from "./job-build.js";
import { type JobCommands, withInputChecks } from "./job-command-checks.js";
import type { InputChecks, JobUpdate } from "./job-input.js";
import { createJobStates } from "./job-states.js";
import { normalizeLimits } from "./limits.js";
import type { CalendarStore } from "./ports/calendar-store.js";
import type { ExecutionStore } from "./ports/execution-store.js";
import type { JobChange, JobStore } from "./ports/job-store.js";
import type { WorkQueue } from "./ports/work-queue.js";
import { hasRunsLeft } from "./run-budget.js";
import { jobCarries, runMessageFor } from "./run-message.js";
import { explainFires, firstFire, parseSchedule } from "./schedule/index.js";
import { compileTargetAllow } from "./target-address.js";

export type { JobCommands } from "./job-command-checks.js";
export type { JobInput, JobUpdate } from "./job-input.js";

export interface JobCommandsDeps {
  jobs: JobStore;
  executions: ExecutionStore;
  queue: WorkQueue;
  clock: Clock;
  partitionCount: number;
  /** A triggered run not started within this long is sent again by the recovery sweep. */
  startTimeoutMs: number;
  /** Calendars that schedules reference; without it a schedule naming one is FailedPrecondition. */
  calendars?: CalendarStore;
  /** Told when a job's next run changed, so that a scheduler in this process polls in time. */
  onScheduled?: (partition: number, nextRunMs: number) => void;
  /** An SMTP relay is configured: without one, email notification targets are refused. */
  emailEnabled?: boolean;
  /**
   * CHRONORING_TARGET_ALLOW: the internal addresses and host names targets
   * may reach. Absent or empty: a literal internal address is refused.
   */
  targetAllow?: readonly string[];
  /** The tenants' max_active_schedules quota; absent: jobs take no slots. */
  slots?: SlotDeps;
}

/** Implements JobCommands over the ports, behind the checks of their input (`withInputChecks`). */
export function createJobCommands(deps: JobCommandsDeps): JobCommands {
  const checks: InputChecks = {
    emailEnabled: deps.emailEnabled ?? false,
    targetAllow: compileTargetAllow(deps.targetAllow ?? []),
  };
  return withInputChecks(createUncheckedCommands(deps, checks), checks);
}

/**
 * The commands proper: their input was checked by `withInputChecks`, but for
 * a batch's items, which `createJobBatch` checks one by one with `checks`.
 */
function createUncheckedCommands(deps: JobCommandsDeps, checks: InputChecks): JobCommands {
  const { jobs, executions, queue, clock } = deps;

  async function load(tenant: string, id: string): Promise<Job> {
    const job = await jobs.getJob(tenant, id);
    if (!job) throw notFound(`job ${id}`);
    return job;
  }

  function scheduled(job: Job): Job {
    if (job.nextRunMs !== undefined) deps.onScheduled?.(job.partition, job.nextRunMs);
    return job;
  }

  /** One UpdateJob from a fresh read of the job. */
  async function updateFrom(
    tenant: string,
    id: string,
    update: JobUpdate,
    expectedVersion: number | undefined,
  ): Promise<Job> {
    const current = await load(tenant, id);
    if (current.status === "CANCELLED") throw failedPrecondition(`job ${id} is CANCELLED`);
    if (current.workflowId && update.limits) {
      // A run its limits held back or skipped would never report to the workflow run.
      throw failedPrecondition(
        `limits: job ${id} is a node of workflow ${current.workflowId}; nodes take no limits`,
      );
    }
    const now = clock.now();
    const change: JobChange = {};
    if (update.name !== undefined) change.name = update.name.trim();
    if (update.owner !== undefined) change.owner = update.owner;
    if (update.tags !== undefined) change.tags = update.tags;
    if (update.target !== undefined) change.target = update.target;
    if (update.limits !== undefined)
      change.limits = normalizeLimits(update.limits ?? undefined) ?? null;
    if (update.retryPolicy !== undefined) change.retryPolicy = update.retryPolicy;
    if (update.priority !== undefined) change.priority = update.priority;
    if (update.notifications !== undefined) change.notifications = update.notifications;
    if (update.pauseAfterFailures !== undefined) {
      change.pauseAfterFailures = update.pauseAfterFailures;
    }
    if (update.remainingRuns !== undefined) {
      if (current.workflowId && update.remainingRuns !== null) {
        // A node is never claimed: its count would never move.
        throw failedPrecondition(
          `remaining_runs: job ${id} is a node of workflow ${current.workflowId}; its workflow's runs start it`,
        );
      }
      change.remainingRuns = update.remainingRuns;
    }
    const remaining =
      update.remainingRuns === undefined
        ? current.remainingRuns
        : (update.remainingRuns ?? undefined);
    // A FINISHED job given runs again (a new remaining_runs, or no limit)
    // fires again from its next time after now.
    const revived =
      current.status === "FINISHED" && update.remainingRuns !== undefined && hasRunsLeft(remaining);
    if (update.schedule !== undefined || revived) {
      const schedule =
        update.schedule === undefined ? current.schedule : parseSchedule(update.schedule, now);
      if (update.schedule !== undefined) change.schedule = schedule;
      const ctx = await loadFireContext(deps.calendars, tenant, schedule, id);
      if (current.status !== "PAUSED") {
        const next = hasRunsLeft(remaining) ? firstFire(schedule, now, ctx) : undefined;
        change.nextRunMs = next ?? null;
        change.status = next === undefined ? "FINISHED" : "ACTIVE";
      }
    }
    const slot = slotChange(
      current,
      {
        status: change.status ?? current.status,
        schedule: change.schedule ?? current.schedule,
        nextRunMs: change.nextRunMs === null ? undefined : (change.nextRunMs ?? current.nextRunMs),
        remainingRuns: remaining,
      },
      change.schedule !== undefined || change.remainingRuns !== undefined,
      deps.slots,
    );
    if (slot) change.slot = slot;
    const job = await jobs.updateJob(
      tenant,
      id,
      change,
      { version: expectedVersion ?? current.version, statusIn: [current.status] },
      now,
    );
    return scheduled(job);
  }

  /**
   * One UpdateJob. Without an expected version from the caller, a concurrent
   * change is not the caller's conflict: the job is read again and the update
   * reapplied.
   */
  function updateOnce(
    tenant: string,
    id: string,
    update: JobUpdate,
    expectedVersion: number | undefined,
  ): Promise<Job> {
    const once = () => updateFrom(tenant, id, update, expectedVersion);
    return expectedVersion === undefined ? retryAborted(clock, once) : once();
  }

  const states = createJobStates({
    ...deps,
    ...(deps.slots ? { slots: deps.slots } : {}),
    load,
    scheduled,
  });

  const createMany = createJobBatch({ ...deps, checks });

  const apply = createJobApply({
    ...deps,
    update: (tenant, id, update, version) =>
      withFreedSlots(deps.slots, clock, tenant, () => updateOnce(tenant, id, update, version)),
    cancelAt: states.cancelAt,
    scheduled,
  });

  return {
    createMany,

    async create(tenant, input) {
      const now = clock.now();
      const { job, slot, record } = await buildJob(deps, tenant, input, newJobId(now), now);
      if (record === undefined) {
        await withFreedSlots(deps.slots, clock, tenant, () => jobs.createJob(job, slot));
        return scheduled(job);
      }
      const stored = await withFreedSlots(deps.slots, clock, tenant, () =>
        jobs.createJobOnce(job, record, slot),
      );
      return stored.id === job.id ? scheduled(job) : stored;
    },

    get: load,

    apply,

    list: (tenant, query) => jobs.listJobs(tenant, query),

    update: (tenant, id, update, expectedVersion) =>
      withFreedSlots(deps.slots, clock, tenant, () =>
        updateOnce(tenant, id, update, expectedVersion),
      ),

    cancel: states.cancel,
    pause: states.pause,
    resume: states.resume,

    async trigger(tenant, id) {
      const now = clock.now();
      const job = await jobs.recordManualRun(tenant, id, now, now + deps.startTimeoutMs);
      const run: RunRef = {
        tenant: job.tenant,
        jobId: id,
        partition: job.partition,
        scheduledMs: now,
        attempt: 1,
        manual: true,
      };
      let status: Execution["status"] = "QUEUED";
      try {
        // Recorded in the job's claim record above: its start need not read the job.
        await queue.send([runMessageFor(run, { ...jobCarries(job), claimed: true })]);
      } catch {
        // Recorded durably above: the recovery sweep sends it.
        status = "SCHEDULED";
      }
      return { ...run, id: executionId(run), status };
    },

    async listExecutions(tenant, query) {
      return executions.listExecutions(tenant, query);
    },

    async getExecution(tenant, id) {
      const execution =
        (await executions.getExecution(tenant, id)) ??
        (await claimedExecution({ jobs, executions, nowMs: clock.now() }, tenant, id));
      if (!execution) throw notFound(`execution ${id}`);
      return execution;
    },

    async preview(tenant, input, afterMs, count, jobId) {
      const now = clock.now();
      const schedule = parseSchedule(input, now);
      if (jobId !== undefined) {
        // Only a job of the caller's tenant: another's answers as unknown.
        if (!(await jobs.getJob(tenant, jobId))) throw notFound(`job ${jobId}`);
      }
      const ctx = await loadFireContext(deps.calendars, tenant, schedule, jobId);
      if (afterMs !== undefined) return explainFires(schedule, afterMs, count, ctx);
      // Without `after`, the preview starts where a job created now would.
      const first = firstFire(schedule, now, ctx);
      return first === undefined
        ? { fires: [], removed: [] }
        : explainFires(schedule, first - 1, count, ctx, now);
    },
  };
}
