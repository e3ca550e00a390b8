/**
 * Many creates at once (BatchCreateJobs, ImportJobs). Each item is judged on
 * its own exactly as CreateJob would judge it (`buildJob`); a refused item
 * gets its error and the others are still created. The jobs are then written
 * in bulk, without conditions (`JobBatchStore.putJobs`), so what must stay
 * once-only is settled before, item by item or for the batch at once:
 *
 * 1. Idempotency keys: each keyed item claims its key with a conditional
 *    write naming a fresh job id. A key already held with the same request
 *    is EXISTING (the first job's id); with another request, already_exists.
 *    A key held but whose job is missing (the import that claimed it died
 *    before writing it) gets that job written now, under the held id.
 * 2. Quota: the new jobs' active-schedule slots are taken from the tenant's
 *    counter in one conditional update; the surplus (the latest items) is
 *    refused with resource_exhausted, and their keys are given back.
 * 3. The writes; a job the store kept refusing is refused as unavailable,
 *    its slot and key given back.
 */

import { finishedBy, type SlotDeps } from "./active-slots.js";
import type { Clock } from "./clock.js";
import { ChronoringError, invalidArgument, unavailable } from "./errors.js";
import { keyInUse } from "./idempotency.js";
import { newJobId } from "./ids.js";
import { type BuildDeps, type BuiltJob, buildJob } from "./job-build.js";
import { checkJobInput, type InputChecks, type JobInput } from "./job-input.js";
import type { CalendarStore } from "./ports/calendar-store.js";
import type { JobBatchStore } from "./ports/job-batch-store.js";
import { activeSchedulesExhausted } from "./tenant-quota.js";

/** Items of one BatchCreateJobs call, and of each batch ImportJobs writes. */
export const BATCH_MAX = 1000;

export type ImportStatus = "CREATED" | "EXISTING" | "REFUSED";

/** What became of one item. */
export interface ImportResult {
  index: number;
  status: ImportStatus;
  /** CREATED, EXISTING: the job's id. */
  jobId?: string;
  /** REFUSED: why, as CreateJob would have said it. */
  error?: ChronoringError;
}

export interface BatchItem {
  /** The item's position, reported back in its result. */
  index: number;
  input: JobInput;
}

export interface JobBatchDeps extends BuildDeps {
  jobs: JobBatchStore;
  clock: Clock;
  checks: InputChecks;
  slots?: SlotDeps;
  onScheduled?: (partition: number, nextRunMs: number) => void;
}

/** A domain error becomes the item's refusal; anything else is the whole call's failure. */
function refusal(index: number, err: unknown): ImportResult {
  if (!(err instanceof ChronoringError)) throw err;
  return { index, status: "REFUSED", error: err };
}

/** Reads each calendar a batch names once. */
function calendarsOnce(calendars: CalendarStore | undefined): CalendarStore | undefined {
  if (!calendars) return undefined;
  const seen = new Map<string, ReturnType<CalendarStore["getCalendar"]>>();
  return {
    ...calendars,
    getCalendar(tenant, name) {
      let found = seen.get(name);
      if (!found) {
        found = calendars.getCalendar(tenant, name);
        seen.set(name, found);
      }
      return found;
    },
  };
}

interface Entry {
  index: number;
  input: JobInput;
  built: BuiltJob;
}

/** Creates the items of one batch (at most BATCH_MAX) in `tenant`: one result per item, by index. */
export function createJobBatch(
  deps: JobBatchDeps,
): (tenant: string, items: BatchItem[]) => Promise<ImportResult[]> {
  const { jobs, clock } = deps;

  return async (tenant, items) => {
    const now = clock.now();
    const results: ImportResult[] = [];
    const build = { ...deps, calendars: calendarsOnce(deps.calendars), firstRuns: new Map() };
    const fresh: Entry[] = [];
    // Items repeating a key of an earlier item of the batch: they follow its outcome.
    const followers: Array<{ index: number; leader: Entry; hash: string }> = [];
    const leaders = new Map<string, Entry>();
    for (const { index, input } of items) {
      try {
        // Each item is checked here, as withInputChecks checks a single create.
        checkJobInput(input, deps.checks);
        if (input.externalKey !== undefined) {
          // Bulk writes are unconditional: a key's uniqueness needs CreateJob's own write.
          throw invalidArgument("external_key", "not taken in a batch; use CreateJob or ApplyJobs");
        }
        const built = await buildJob(build, tenant, input, newJobId(now), now);
        const record = built.record;
        const scope = record && JSON.stringify([record.owner, record.key]);
        const leader = scope === undefined ? undefined : leaders.get(scope);
        if (leader && record) {
          followers.push({ index, leader, hash: record.requestHash });
          continue;
        }
        const entry = { index, input, built };
        if (scope !== undefined) leaders.set(scope, entry);
        fresh.push(entry);
      } catch (err) {
        results.push(refusal(index, err));
      }
    }

    const byIndex = new Map<number, ImportResult>();
    const writes = await settleKeys(fresh, byIndex, now);
    const slotted = await takeSlots(tenant, writes, byIndex);
    const failed = await jobs.putJobs(slotted.map((e) => e.built.job));
    const unwritten = slotted.filter((e) => failed.has(e.built.job.id));
    await giveBack(tenant, unwritten);
    for (const e of slotted) {
      const { job } = e.built;
      if (failed.has(job.id)) {
        byIndex.set(e.index, refusal(e.index, unavailable("DynamoDB", undefined)));
        continue;
      }
      byIndex.set(e.index, { index: e.index, status: "CREATED", jobId: job.id });
      if (job.nextRunMs !== undefined) deps.onScheduled?.(job.partition, job.nextRunMs);
    }
    results.push(...byIndex.values());
    for (const f of followers) results.push(follow(f, byIndex.get(f.leader.index)!));
    return results.sort((a, b) => a.index - b.index);
  };

  /**
   * Claims the keys of the keyed entries; records EXISTING and refused ones
   * in `byIndex` and returns the entries to write (a missing job of a held
   * key under the held id).
   */
  async function settleKeys(
    entries: Entry[],
    byIndex: Map<number, ImportResult>,
    now: number,
  ): Promise<Entry[]> {
    const keyed = entries.filter((e) => e.built.record !== undefined);
    const writes = entries.filter((e) => e.built.record === undefined);
    const holders = await jobs.claimKeys(
      keyed.map((e) => ({ record: e.built.record!, jobId: e.built.job.id })),
      now,
    );
    const held: Array<{ entry: Entry; jobId: string }> = [];
    keyed.forEach((entry, i) => {
      const holder = holders[i];
      const record = entry.built.record!;
      if (holder === undefined) writes.push(entry);
      else if (holder.requestHash !== record.requestHash) {
        byIndex.set(entry.index, refusal(entry.index, keyInUse(record.key, holder.expiresMs)));
      } else held.push({ entry, jobId: holder.jobId });
    });
    const tenant = entries[0]?.built.job.tenant ?? "";
    const missing = held.length
      ? await jobs.missingJobs(
          tenant,
          held.map((h) => h.jobId),
        )
      : new Set<string>();
    for (const { entry, jobId } of held) {
      if (!missing.has(jobId)) {
        byIndex.set(entry.index, { index: entry.index, status: "EXISTING", jobId });
        continue;
      }
      // The key's job was never written: write it now, under the id the key names.
      const built = await buildJob(deps, tenant, entry.input, jobId, now);
      writes.push({ ...entry, built });
    }
    return writes.sort((a, b) => a.index - b.index);
  }

  /**
   * Takes the slots of the entries that need one; refuses the surplus (the
   * latest items) in `byIndex` and returns the entries to write.
   */
  async function takeSlots(
    tenant: string,
    entries: Entry[],
    byIndex: Map<number, ImportResult>,
  ): Promise<Entry[]> {
    const slots = deps.slots;
    const needing = entries.filter((e) => e.built.slot !== undefined);
    if (!slots || needing.length === 0) return entries;
    const limit = slots.defaults.maxActiveSchedules;
    let got = await jobs.takeSlots(tenant, needing.length, limit);
    if (got.granted < needing.length) {
      const freed = await slots.tenants.freeFinished(tenant, finishedBy(slots, clock));
      if (freed > 0) {
        const more = await jobs.takeSlots(tenant, needing.length - got.granted, limit);
        got = { ...more, granted: got.granted + more.granted };
      }
    }
    const surplus = new Set(needing.slice(got.granted));
    if (surplus.size === 0) return entries;
    for (const e of surplus) {
      const err = activeSchedulesExhausted(tenant, got.use, got.limit);
      byIndex.set(e.index, refusal(e.index, err));
    }
    await jobs.releaseKeys(keyClaims([...surplus]));
    return entries.filter((e) => !surplus.has(e));
  }

  async function giveBack(tenant: string, unwritten: Entry[]): Promise<void> {
    const slots = unwritten.filter((e) => e.built.slot !== undefined).length;
    if (slots > 0) await jobs.freeSlots(tenant, slots);
    await jobs.releaseKeys(keyClaims(unwritten));
  }
}

function keyClaims(entries: Entry[]) {
  return entries
    .filter((e) => e.built.record !== undefined)
    .map((e) => ({ record: e.built.record!, jobId: e.built.job.id }));
}

/** An item repeating an earlier item's key: that item's job if the request is the same. */
function follow(
  f: { index: number; leader: Entry; hash: string },
  outcome: ImportResult,
): ImportResult {
  const record = f.leader.built.record!;
  if (f.hash !== record.requestHash) {
    return refusal(f.index, keyInUse(record.key, record.expiresMs));
  }
  if (outcome.status === "REFUSED") return { ...outcome, index: f.index };
  return { index: f.index, status: "EXISTING", jobId: outcome.jobId! };
}
