/**
 * A new job built from its input: the checks and the schedule's first run
 * that CreateJob and a batch of creates (`job-batch.ts`) share, so that an
 * item of a batch is judged exactly as the same CreateJob would be.
 */

import { type SlotDeps, slotOnCreate } from "./active-slots.js";
import { invalidArgument } from "./errors.js";
import { loadFireContext } from "./fire-context.js";
import {
  canonicalJson,
  IDEMPOTENCY_TTL_MS,
  type IdempotencyRecord,
  requestHash,
} from "./idempotency.js";
import type { Job, Schedule } from "./job.js";
import type { JobInput } from "./job-input.js";
import { normalizeLimits } from "./limits.js";
import { partitionOf } from "./partition.js";
import type { CalendarStore } from "./ports/calendar-store.js";
import type { SlotChange } from "./ports/job-store.js";
import { firstFire, parseSchedule } from "./schedule/index.js";

export interface BuildDeps {
  partitionCount: number;
  calendars?: CalendarStore;
  slots?: SlotDeps;
  /**
   * Parsed schedules and their first runs by input, for jobs built at one
   * instant (a batch): parsing a cron expression costs more than the rest of
   * an item. A schedule with jitter is never shared (its run depends on the id).
   */
  firstRuns?: Map<string, { schedule: Schedule; next: number | undefined }>;
}

async function firstRun(
  deps: BuildDeps,
  tenant: string,
  input: JobInput,
  id: string,
  now: number,
): Promise<{ schedule: Schedule; next: number | undefined }> {
  const key = deps.firstRuns && canonicalJson(input.schedule);
  const known = key === undefined ? undefined : deps.firstRuns?.get(key);
  if (known) return known;
  const schedule = parseSchedule(input.schedule, now);
  const ctx = await loadFireContext(deps.calendars, tenant, schedule, id);
  const found = { schedule, next: firstFire(schedule, now, ctx) };
  if (key !== undefined && !schedule.jitterMs) deps.firstRuns?.set(key, found);
  return found;
}

/** A job ready to be written, with its slot and its idempotency record (when keyed). */
export interface BuiltJob {
  job: Job;
  slot?: Extract<SlotChange, { kind: "take" }>;
  record?: IdempotencyRecord;
}

/**
 * Builds the job of a checked `input` (`checkJobInput`) with id `id` at
 * `now`: invalid_argument naming the field for a schedule with no run ahead,
 * failed_precondition for an unknown calendar.
 */
export async function buildJob(
  deps: BuildDeps,
  tenant: string,
  input: JobInput,
  id: string,
  now: number,
): Promise<BuiltJob> {
  const limits = normalizeLimits(input.limits);
  const { idempotencyKey, ...request } = input;
  const { schedule, next } = await firstRun(deps, tenant, input, id, now);
  if (next === undefined) throw invalidArgument("schedule", "has no run after now");
  const job: Job = {
    id,
    tenant,
    name: input.name.trim(),
    schedule,
    target: input.target,
    status: "ACTIVE",
    tags: input.tags,
    owner: input.owner,
    version: 1,
    partition: partitionOf(id, deps.partitionCount),
    nextRunMs: next,
    createdMs: now,
    updatedMs: now,
    ...(limits ? { limits } : {}),
    ...(input.retryPolicy ? { retryPolicy: input.retryPolicy } : {}),
    ...(input.priority ? { priority: input.priority } : {}),
  };
  if (input.notifications?.length) job.notifications = input.notifications;
  if (input.externalKey !== undefined) job.externalKey = input.externalKey;
  if (input.pauseAfterFailures) job.pauseAfterFailures = input.pauseAfterFailures;
  if (input.remainingRuns !== undefined) {
    job.remainingRuns = input.remainingRuns;
    job.grantedRuns = input.remainingRuns;
  }
  const built: BuiltJob = { job };
  const slot = slotOnCreate(job, deps.slots);
  if (slot) {
    job.holdsSlot = true;
    built.slot = slot;
  }
  if (idempotencyKey !== undefined) {
    job.idempotencyKey = idempotencyKey;
    built.record = {
      tenant,
      owner: input.owner,
      key: idempotencyKey,
      requestHash: requestHash(request),
      expiresMs: now + IDEMPOTENCY_TTL_MS,
    };
  }
  return built;
}
