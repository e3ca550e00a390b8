/**
 * ListFires: one page of a job's fire ledger. Checks the range, reads the
 * job, its calendar and the executions of the page's fire instants (one
 * range read on the execution store's key, plus point reads for runs a
 * calendar rolled out of the page's span), then classifies (`classify.ts`).
 */

import type { Clock } from "../clock.js";
import { invalidArgument, notFound } from "../errors.js";
import type { Execution } from "../execution.js";
import type { Job } from "../job.js";
import type { CalendarStore } from "../ports/calendar-store.js";
import type { ExecutionStore } from "../ports/execution-store.js";
import type { JobStore } from "../ports/job-store.js";
import { scheduleZone } from "../schedule/evaluate.js";
import { DEFAULT_MISFIRE } from "../schedule/policies.js";
import type { CalendarRules } from "../time-policy.js";
import { validateJobId } from "../validate-job.js";
import { classifyFires, runsByInstant } from "./classify.js";
import { type Nominal, nominalPage } from "./nominal.js";
import {
  type FireOutcome,
  LEDGER_PAGE_DEFAULT,
  LEDGER_PAGE_MAX,
  LEDGER_RANGE_MAX_MS,
  type LedgerPage,
} from "./types.js";

export interface LedgerQuery {
  jobId: string;
  /** Default: `toMs` minus 24 hours. */
  fromMs?: number;
  /** Default: now. */
  toMs?: number;
  /** 0: LEDGER_PAGE_DEFAULT. */
  pageSize: number;
  /** The next nominal time, as returned on the previous page. */
  pageToken?: string;
}

export interface FireLedger {
  list(tenant: string, query: LedgerQuery): Promise<LedgerPage>;
}

export interface FireLedgerDeps {
  jobs: JobStore;
  executions: ExecutionStore;
  clock: Clock;
  calendars?: CalendarStore;
}

const DAY_MS = 24 * 3_600_000;
/** Attempts read for one page at most (a page's runs and their retries). */
export const LEDGER_READ_MAX = 10_000;
/** Runs rolled out of the page's span looked up one by one, at most. */
const ROLLED_LOOKUPS_MAX = 50;

/** The range and page of a query, checked: one message per rule, naming the field. */
export function checkLedgerQuery(
  query: LedgerQuery,
  nowMs: number,
): { fromMs: number; toMs: number; pageSize: number; startMs: number } {
  validateJobId(query.jobId, "job_id");
  const toMs = query.toMs ?? nowMs;
  const fromMs = query.fromMs ?? toMs - DAY_MS;
  if (query.fromMs !== undefined && query.toMs === undefined && fromMs >= toMs) {
    throw invalidArgument("from", "must be before to (default now)");
  }
  if (fromMs >= toMs) throw invalidArgument("to", "must be after from");
  if (toMs - fromMs > LEDGER_RANGE_MAX_MS) {
    throw invalidArgument("to", "must be at most 31 days after from");
  }
  if (query.pageSize > LEDGER_PAGE_MAX) {
    throw invalidArgument(
      "page_size",
      `must be 1 to ${LEDGER_PAGE_MAX}, or 0 for ${LEDGER_PAGE_DEFAULT}`,
    );
  }
  let startMs = fromMs;
  if (query.pageToken) {
    const token = Number(query.pageToken);
    if (!/^\d{1,16}$/.test(query.pageToken) || token < fromMs || token >= toMs) {
      throw invalidArgument("page_token", "not a token returned for this range");
    }
    startMs = token;
  }
  return { fromMs, toMs, pageSize: query.pageSize || LEDGER_PAGE_DEFAULT, startMs };
}

export function createFireLedger(deps: FireLedgerDeps): FireLedger {
  const { jobs, executions, clock } = deps;

  async function calendarOf(tenant: string, job: Job): Promise<CalendarRules | undefined> {
    const name = job.schedule.calendar?.name;
    // A calendar deleted since: its dates are unknown, nothing counts as excluded.
    return name === undefined ? undefined : deps.calendars?.getCalendar(tenant, name);
  }

  /** The job's attempts at the page's fire instants. */
  async function attemptsOf(tenant: string, job: Job, nominals: Nominal[]): Promise<Execution[]> {
    const fires = nominals.flatMap((n) => (n.fireMs === undefined ? [] : [n.fireMs]));
    if (fires.length === 0) return [];
    const last = nominals.at(-1)!.nominalMs + (job.schedule.jitterMs ?? 0);
    const inSpan = fires.filter((f) => f <= last);
    const rolled = [...new Set(fires.filter((f) => f > last))].slice(0, ROLLED_LOOKUPS_MAX);
    const found =
      inSpan.length === 0
        ? []
        : await executions.executionsBetween(
            tenant,
            job.id,
            Math.min(...inSpan),
            Math.max(...inSpan),
            LEDGER_READ_MAX,
          );
    for (const f of rolled) {
      found.push(...(await executions.executionsBetween(tenant, job.id, f, f, 20)));
    }
    return found;
  }

  /** The first scheduled run after the page, when a catch-up may have merged its last times. */
  async function laterRun(
    tenant: string,
    job: Job,
    nominals: Nominal[],
    runs: Map<number, Execution[]>,
    nowMs: number,
  ): Promise<Execution | undefined> {
    const last = nominals.findLast((n) => n.fireMs !== undefined)?.fireMs;
    const mode = (job.schedule.misfire ?? DEFAULT_MISFIRE).mode;
    if (last === undefined || last > nowMs || runs.has(last) || mode !== "FIRE_ONCE") {
      return undefined;
    }
    const after = await executions.executionsBetween(tenant, job.id, last + 1, nowMs, 20);
    return after.find((e) => !e.manual);
  }

  return {
    async list(tenant, query) {
      const nowMs = clock.now();
      const { toMs, pageSize, startMs } = checkLedgerQuery(query, nowMs);
      const job = await jobs.getJob(tenant, query.jobId);
      if (!job) throw notFound(`job ${query.jobId}`);
      // Times before the job existed are not its; a one-time job keeps its
      // time even when it was created after it (it then fired at once).
      const from = job.schedule.kind === "once" ? startMs : Math.max(startMs, job.createdMs);
      // A cancelled job cannot change after its cancel: its last change is it.
      const to = job.status === "CANCELLED" ? Math.min(toMs, job.updatedMs + 1) : toMs;
      const timeZone = scheduleZone(job.schedule);
      if (from >= to) return { fires: [], counts: {}, timeZone };
      const page = nominalPage(job, await calendarOf(tenant, job), from, to, pageSize);
      const runs = runsByInstant(await attemptsOf(tenant, job, page.nominals));
      const later = await laterRun(tenant, job, page.nominals, runs, nowMs);
      const fires = classifyFires(page.nominals, runs, job, nowMs, later);
      const counts: Partial<Record<FireOutcome, number>> = {};
      for (const fire of fires) counts[fire.outcome] = (counts[fire.outcome] ?? 0) + 1;
      return {
        fires,
        counts,
        timeZone,
        ...(page.nextFromMs !== undefined ? { nextFromMs: page.nextFromMs } : {}),
      };
    },
  };
}
