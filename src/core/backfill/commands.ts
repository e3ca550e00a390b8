/**
 * The operations behind BackfillService, each on the caller's tenant: a job
 * or backfill of another tenant is not_found, as an unknown one. Starting a
 * backfill walks its whole range once (at most BACKFILL_NOMINALS_MAX times,
 * a range read per window) to count what it selects; a dry run stops there.
 * The record written holds a cursor, not the selection: the driver
 * (`advance.ts`) walks again as it sends, so a time that ran meanwhile is
 * passed over.
 */

import type { Caller } from "../caller.js";
import type { Clock } from "../clock.js";
import { aborted, failedPrecondition, notFound } from "../errors.js";
import { newBackfillId } from "../ids.js";
import type { BackfillStore } from "../ports/backfill-store.js";
import type { CalendarStore } from "../ports/calendar-store.js";
import type { ExecutionStore } from "../ports/execution-store.js";
import type { JobStore, Page } from "../ports/job-store.js";
import { validateJobId, validatePageSize } from "../validate-job.js";
import {
  BACKFILL_NOMINALS_MAX,
  type Backfill,
  DRY_RUN_LIST_MAX,
  remainingOf,
  type SelectedRun,
} from "./types.js";
import { type BackfillRequest, checkBackfillId, checkNominals, checkRequest } from "./validate.js";
import { countNominals, walk } from "./walk.js";

export type { BackfillRequest } from "./validate.js";

/** What BackfillJob answers. */
export interface BackfillStart {
  /** Absent on a dry run. */
  backfill?: Backfill;
  /** A dry run's runs, in order, at most DRY_RUN_LIST_MAX. */
  runs: SelectedRun[];
  selected: number;
  nominalTotal: number;
}

export interface BackfillCommands {
  start(
    caller: Pick<Caller, "tenant" | "subject">,
    request: BackfillRequest,
  ): Promise<BackfillStart>;
  get(tenant: string, id: string): Promise<Backfill>;
  list(
    tenant: string,
    jobId: string,
    pageSize: number,
    pageToken?: string,
  ): Promise<Page<Backfill>>;
  cancel(caller: Pick<Caller, "tenant" | "subject">, id: string): Promise<Backfill>;
}

/** Nominal times judged per window when counting a selection. */
const COUNT_WINDOW = 1000;
/** Tries of a cancel that keeps meeting the driver's writes. */
const CANCEL_TRIES = 10;

export function createBackfillCommands(deps: {
  store: BackfillStore;
  jobs: Pick<JobStore, "getJob">;
  executions: Pick<ExecutionStore, "executionsBetween">;
  calendars?: Pick<CalendarStore, "getCalendar">;
  clock: Clock;
}): BackfillCommands {
  const { store, jobs, clock } = deps;

  async function load(tenant: string, id: string): Promise<Backfill> {
    checkBackfillId(id);
    const found = await store.get(tenant, id);
    if (!found) throw notFound(`backfill ${id}`);
    return found;
  }

  return {
    async start(caller, request) {
      const nowMs = clock.now();
      const req = checkRequest(request, nowMs);
      const job = await jobs.getJob(caller.tenant, req.jobId);
      if (!job) throw notFound(`job ${req.jobId}`);
      if (job.status === "CANCELLED") throw failedPrecondition(`job ${job.id} is CANCELLED`);
      const name = job.schedule.calendar?.name;
      const calendar = name ? await deps.calendars?.getCalendar(caller.tenant, name) : undefined;
      const nominalTotal = countNominals(job, calendar, req.fromMs, req.toMs);
      checkNominals(job.id, nominalTotal);
      const forward = req.order === "OLDEST_FIRST";
      const walked = {
        tenant: caller.tenant,
        jobId: job.id,
        mode: req.mode,
        order: req.order,
        fromMs: req.fromMs,
        toMs: req.toMs,
        cursorMs: forward ? req.fromMs : req.toMs,
        nominalTotal,
        schedule: job.schedule,
      };
      const { runs } = await walk(
        deps.executions,
        { backfill: walked, job, calendar, nowMs },
        BACKFILL_NOMINALS_MAX,
        COUNT_WINDOW,
      );
      if (req.dryRun) {
        return {
          runs: runs.slice(0, DRY_RUN_LIST_MAX),
          selected: runs.length,
          nominalTotal,
        };
      }
      const empty = runs.length === 0;
      const backfill: Backfill = {
        ...walked,
        id: newBackfillId(nowMs),
        maxConcurrent: req.maxConcurrent,
        state: empty ? "DONE" : "RUNNING",
        inFlight: [],
        counts: { selected: runs.length, sent: 0, started: 0, succeeded: 0, failed: 0, skipped: 0 },
        createdMs: nowMs,
        updatedMs: nowMs,
        ...(empty ? { endedMs: nowMs, cursorMs: forward ? req.toMs : req.fromMs } : {}),
        createdBy: caller.subject,
        version: 1,
      };
      await store.create(backfill);
      return { backfill, runs: [], selected: runs.length, nominalTotal };
    },

    get: load,

    async list(tenant, jobId, pageSize, pageToken) {
      validateJobId(jobId, "job_id");
      const size = validatePageSize(pageSize, "page_size");
      if (!(await jobs.getJob(tenant, jobId))) throw notFound(`job ${jobId}`);
      return store.listByJob(tenant, jobId, size, pageToken);
    },

    async cancel(caller, id) {
      for (let i = 0; i < CANCEL_TRIES; i++) {
        const current = await load(caller.tenant, id);
        if (current.state === "CANCELLED") return current;
        if (current.state !== "RUNNING") {
          throw failedPrecondition(`backfill ${id} is ${current.state}: nothing to cancel`);
        }
        const nowMs = clock.now();
        const cancelled: Backfill = {
          ...current,
          state: "CANCELLED",
          cancelledBy: caller.subject,
          endedMs: nowMs,
          updatedMs: nowMs,
          // The times not sent will not be.
          counts: { ...current.counts, skipped: current.counts.skipped + remainingOf(current) },
          version: current.version + 1,
        };
        if (await store.save(cancelled)) return cancelled;
      }
      throw aborted(`backfill ${id} kept changing; try the cancel again`);
    },
  };
}
