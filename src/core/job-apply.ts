/**
 * ApplyJobs: makes a namespace's jobs what a request says. Reads the
 * namespace's generation, then its jobs, plans (`apply-plan.ts`), and, unless
 * a dry run, starts writing only if no other apply of the namespace started
 * since the read (`ApplyStore.beginApply`): of two concurrent applies one
 * writes and the other is aborted, to plan again. Each write is conditional
 * too: a create on its external key, an update and a delete on the version
 * planned against, so a change made meanwhile by other calls aborts it rather
 * than being overwritten.
 */

import { type SlotDeps, withFreedSlots } from "./active-slots.js";
import { type ApplyPlan, type DesiredJob, planApply, updateOf } from "./apply-plan.js";
import type { Clock } from "./clock.js";
import { aborted, ChronoringError, invalidArgument, isChronoringError } from "./errors.js";
import { validateApplyNamespace, validateExternalKey } from "./external-key.js";
import { newJobId } from "./ids.js";
import { inOrder } from "./in-order.js";
import type { Job } from "./job.js";
import { type BuildDeps, type BuiltJob, buildJob } from "./job-build.js";
import { checkJobInput, type InputChecks, type JobInput, type JobUpdate } from "./job-input.js";
import type { JobStore } from "./ports/job-store.js";
import { parseSchedule } from "./schedule/index.js";

/** Jobs one request may name: its plan is carried out one write at a time, under one lease. */
export const APPLY_MAX_JOBS = 200;
/** How long an apply's lease holds its namespace if the process dies before giving it back. */
export const APPLY_LEASE_MS = 60_000;
/** Reads of keys not yet in the namespace, at once. */
const LOOKUPS_AT_ONCE = 16;

export interface ApplyRequest {
  namespace: string;
  jobs: JobInput[];
  prune: boolean;
  dryRun: boolean;
}

export interface ApplyResult {
  plan: ApplyPlan;
  /** The id of each job created, by external key (empty on a dry run). */
  created: Map<string, string>;
  applied: boolean;
}

/**
 * Runs `fn`, reporting a bad field of item `index` as `jobs[<index>].<field>`.
 * Other errors pass unchanged.
 */
export function atItem<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw itemError(index, err);
  }
}

function itemError(index: number, err: unknown): unknown {
  if (!(err instanceof ChronoringError) || err.field === undefined) return err;
  const problem = err.message.startsWith(`${err.field}: `)
    ? err.message.slice(err.field.length + 2)
    : err.message;
  const field = `jobs[${index}].${err.field}`;
  return new ChronoringError(err.kind, `${field}: ${problem}`, { field, cause: err });
}

/** Every check of a request that needs no read: invalid_argument naming the field. */
export function checkApplyRequest(request: ApplyRequest, checks: InputChecks): void {
  validateApplyNamespace(request.namespace);
  if (request.jobs.length > APPLY_MAX_JOBS) {
    throw invalidArgument(
      "jobs",
      `at most ${APPLY_MAX_JOBS} per apply (got ${request.jobs.length})`,
    );
  }
  const seen = new Map<string, number>();
  request.jobs.forEach((input, i) => {
    atItem(i, () => {
      if (input.externalKey === undefined) throw invalidArgument("external_key", "required");
      validateExternalKey(input.externalKey);
      const first = seen.get(input.externalKey);
      if (first !== undefined) {
        throw invalidArgument("external_key", `"${input.externalKey}" is also jobs[${first}]'s`);
      }
      seen.set(input.externalKey, i);
      if (input.idempotencyKey !== undefined) {
        throw invalidArgument("idempotency_key", "not taken by an apply (the external key is)");
      }
      if (input.schedule.afterMs !== undefined) {
        throw invalidArgument("schedule.after", "relative to now, so never the same twice; use at");
      }
      checkJobInput(input, checks);
    });
  });
}

export interface JobApplyDeps extends BuildDeps {
  jobs: JobStore;
  clock: Clock;
  slots?: SlotDeps;
  /** UpdateJob as checked input reaches it, conditional on `expectedVersion`. */
  update(tenant: string, id: string, update: JobUpdate, expectedVersion: number): Promise<Job>;
  /** Cancels `current` only at its version. */
  cancelAt(current: Job): Promise<Job>;
  /** Tells the local scheduler of a new job's next run. */
  scheduled(job: Job): Job;
}

/** ApplyJobs over checked input (`checkApplyRequest`). */
export function createJobApply(deps: JobApplyDeps) {
  const { jobs, clock } = deps;

  async function liveJobs(tenant: string, namespace: string): Promise<Job[]> {
    const found: Job[] = [];
    let pageToken: string | undefined;
    do {
      const page = await jobs.listJobs(tenant, {
        applyNamespace: namespace,
        pageSize: 500,
        ...(pageToken ? { pageToken } : {}),
      });
      found.push(...page.items.filter((j) => j.status !== "CANCELLED"));
      pageToken = page.nextToken;
    } while (pageToken);
    return found;
  }

  /** A wanted key held by a live job outside the namespace is the caller's to sort out. */
  async function checkKeysFree(tenant: string, namespace: string, creates: DesiredJob[]) {
    await inOrder(creates, LOOKUPS_AT_ONCE, async (d) => {
      const holder = await jobs.getJobByExternalKey(tenant, d.input.externalKey);
      if (holder && holder.applyNamespace !== namespace) {
        throw new ChronoringError(
          "failed_precondition",
          `external_key: "${d.input.externalKey}" is held by job ${holder.id}, which namespace "${namespace}" does not manage`,
          { field: "external_key" },
        );
      }
    });
  }

  return async (tenant: string, request: ApplyRequest): Promise<ApplyResult> => {
    const { namespace } = request;
    const generation = await jobs.applyGeneration(tenant, namespace);
    const current = await liveJobs(tenant, namespace);
    const now = clock.now();
    const desired = request.jobs.map((input, i) => ({
      input: input as DesiredJob["input"],
      schedule: atItem(i, () => parseSchedule(input.schedule, now)),
    }));
    const plan = planApply(desired, current, request.prune);
    const creates = plan.entries.filter((e) => e.action === "CREATE");
    await checkKeysFree(
      tenant,
      namespace,
      desired.filter((d) => creates.some((c) => c.key === d.input.externalKey)),
    );
    // New jobs are built before anything is written: a schedule with no run
    // ahead or an unknown calendar fails the plan, not the apply midway.
    const built = new Map<string, BuiltJob>();
    for (const entry of creates) {
      const index = request.jobs.findIndex((j) => j.externalKey === entry.key);
      try {
        const b = await buildJob(deps, tenant, entry.input!, newJobId(now), now);
        b.job.applyNamespace = namespace;
        built.set(entry.key, b);
      } catch (err) {
        throw itemError(index, err);
      }
    }
    const created = new Map<string, string>();
    const changes = plan.entries.length - plan.counts.UNCHANGED;
    if (request.dryRun || changes === 0) return { plan, created, applied: !request.dryRun };

    const token = newJobId(now);
    const started = await jobs.beginApply(tenant, namespace, {
      generation,
      token,
      untilMs: now + APPLY_LEASE_MS,
      nowMs: now,
    });
    if (!started) {
      throw aborted(
        `namespace "${namespace}" changed since it was read (another apply): plan again`,
      );
    }
    try {
      for (const entry of plan.entries) {
        if (entry.action === "CREATE") {
          const { job, slot } = built.get(entry.key)!;
          await create(job, slot);
          created.set(entry.key, job.id);
        } else if (entry.action === "UPDATE") {
          const job = entry.current!;
          await deps.update(tenant, job.id, updateOf(entry), job.version);
        } else if (entry.action === "DELETE") {
          await deps.cancelAt(entry.current!);
        }
      }
    } finally {
      await jobs.endApply(tenant, namespace, token).catch(() => {
        // The lease ends by itself (APPLY_LEASE_MS).
      });
    }
    return { plan, created, applied: true };
  };

  async function create(job: Job, slot: BuiltJob["slot"]): Promise<void> {
    try {
      await withFreedSlots(deps.slots, clock, job.tenant, () => jobs.createJob(job, slot));
      deps.scheduled(job);
    } catch (err) {
      if (isChronoringError(err, "already_exists") && err.field === "external_key") {
        // Created meanwhile by a CreateJob: this plan is stale.
        throw aborted(`${err.message}, since the plan was made: plan again`);
      }
      throw err;
    }
  }
}
