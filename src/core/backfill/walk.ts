/**
 * The walk of a backfill's range: from its cursor, in its order, the next
 * runs its mode selects. Nominal times come a window at a time from the
 * fire ledger's `nominalPage` (the schedule's own rules applied), the
 * attempts of a window's fire instants from one range read of the
 * executions (the ledger's read), and each time is judged by the ledger's
 * `classifyFires` and then `selectRun`. Nothing is written: the cursor
 * after the last time looked at comes back for the caller to store.
 */

import type { Execution } from "../execution.js";
import {
  classifyFires,
  type LedgerJob,
  type Nominal,
  nominalPage,
  PENDING_GRACE_MS,
  runsByInstant,
} from "../fire-ledger/index.js";
import type { Job } from "../job.js";
import type { ExecutionStore } from "../ports/execution-store.js";
import type { CalendarRules } from "../time-policy.js";
import { selectRun } from "./selection.js";
import { BACKFILL_NOMINALS_MAX, type Backfill, type SelectedRun } from "./types.js";

/** Attempts one range read returns at most; past it the window's instants are read one by one. */
const RANGE_READ_MAX = 5000;
/** Attempts of one instant read at most (a run and its retries). */
const INSTANT_READ_MAX = 100;

export type WalkedBackfill = Pick<
  Backfill,
  | "tenant"
  | "jobId"
  | "mode"
  | "order"
  | "fromMs"
  | "toMs"
  | "cursorMs"
  | "nominalTotal"
  | "schedule"
>;

export interface WalkInput {
  backfill: WalkedBackfill;
  /** The job as read now (its pauses, next and last runs); its schedule is the backfill's. */
  job: LedgerJob & Pick<Job, "id" | "createdMs">;
  calendar: CalendarRules | undefined;
  nowMs: number;
}

/** The nominal times the schedule names in [fromMs, toMs), up to one more than the cap. */
export function countNominals(
  job: Pick<Job, "id" | "schedule">,
  calendar: CalendarRules | undefined,
  fromMs: number,
  toMs: number,
): number {
  return nominalPage(job, calendar, fromMs, toMs, BACKFILL_NOMINALS_MAX + 1).nominals.length;
}

/**
 * The next window of up to `size` nominal times from the cursor, in walk
 * order, and whether it reaches the range's far end.
 */
function nextWindow(input: WalkInput, cursorMs: number, size: number) {
  const { backfill: b, calendar } = input;
  const job = { id: b.jobId, schedule: b.schedule };
  if (b.order === "OLDEST_FIRST") {
    const page = nominalPage(job, calendar, cursorMs, b.toMs, size);
    return { nominals: page.nominals, last: page.nextFromMs === undefined };
  }
  // Backwards: a span sized from the range's density, widened until it
  // holds `size` times or reaches the range's start.
  const gap = (b.toMs - b.fromMs) / Math.max(1, b.nominalTotal);
  let span = Math.max(1000, gap * size * 1.5);
  for (;;) {
    const lo = Math.max(b.fromMs, cursorMs - span);
    const page = nominalPage(job, calendar, lo, cursorMs, BACKFILL_NOMINALS_MAX + 1);
    if (page.nominals.length >= size || lo === b.fromMs) {
      const nominals = page.nominals.slice(-size).reverse();
      return { nominals, last: lo === b.fromMs && page.nominals.length <= size };
    }
    span *= 4;
  }
}

/**
 * The first scheduled run after the window's last fire instant, when the
 * ledger needs it: a recent time with no record and no later run in the
 * window counts as claimed and not started yet (PENDING) unless a later
 * run shows it is not coming (as the ledger's own `laterRun`).
 */
async function laterRun(
  executions: Pick<ExecutionStore, "executionsBetween">,
  b: WalkedBackfill,
  attempts: Map<number, Execution[]>,
  nominals: readonly Nominal[],
  nowMs: number,
): Promise<Execution | undefined> {
  const last = Math.max(...nominals.flatMap((n) => (n.fireMs === undefined ? [] : [n.fireMs])));
  if (!Number.isFinite(last) || attempts.has(last) || nowMs - last >= PENDING_GRACE_MS) {
    return undefined;
  }
  const after = await executions.executionsBetween(b.tenant, b.jobId, last + 1, nowMs, 20);
  return after.find((e) => !e.manual);
}

/** The scheduled attempts at the window's fire instants. */
async function attemptsOf(
  executions: Pick<ExecutionStore, "executionsBetween">,
  b: WalkedBackfill,
  nominals: readonly Nominal[],
): Promise<Map<number, Execution[]>> {
  const fires = nominals.flatMap((n) => (n.fireMs === undefined ? [] : [n.fireMs]));
  if (fires.length === 0) return new Map();
  const lo = Math.min(...fires);
  const hi = Math.max(...fires);
  let found = await executions.executionsBetween(b.tenant, b.jobId, lo, hi, RANGE_READ_MAX);
  if (found.length >= RANGE_READ_MAX) {
    found = [];
    for (const f of new Set(fires)) {
      found.push(
        ...(await executions.executionsBetween(b.tenant, b.jobId, f, f, INSTANT_READ_MAX)),
      );
    }
  }
  return runsByInstant(found);
}

/**
 * Up to `want` runs from the cursor on, in the backfill's order, and the
 * cursor after the last time looked at (the walk's end once it looked at
 * every time). `windowSize` times are read and judged at a time.
 */
export async function walk(
  executions: Pick<ExecutionStore, "executionsBetween">,
  input: WalkInput,
  want: number,
  windowSize: number,
): Promise<{ runs: SelectedRun[]; cursorMs: number }> {
  const { backfill: b, nowMs } = input;
  const forward = b.order === "OLDEST_FIRST";
  const end = forward ? b.toMs : b.fromMs;
  const runs: SelectedRun[] = [];
  let cursorMs = b.cursorMs;
  const ledgerJob: LedgerJob = { ...input.job, schedule: b.schedule };
  while (runs.length < want && cursorMs !== end) {
    const window = nextWindow(input, cursorMs, windowSize);
    if (window.nominals.length === 0) return { runs, cursorMs: end };
    const attempts = await attemptsOf(executions, b, window.nominals);
    const ascending = forward ? window.nominals : [...window.nominals].reverse();
    const later = await laterRun(executions, b, attempts, window.nominals, nowMs);
    const judged = classifyFires(ascending, attempts, ledgerJob, nowMs, later);
    const fires = forward ? judged : judged.reverse();
    for (const fire of fires) {
      // A time before the job existed was never claimed, whatever the job
      // claimed since (the ledger lists no such time): it is missed, not pending.
      const before = fire.fireMs !== undefined && fire.fireMs < input.job.createdMs;
      if (fire.outcome === "PENDING" && before && b.schedule.kind !== "once") {
        fire.outcome = "MISSED";
      }
      // Past this time (forward: the next one is at least 1 ms later).
      cursorMs = forward ? fire.nominalMs + 1 : fire.nominalMs;
      const run = selectRun(fire, attempts.get(fire.fireMs ?? Number.NaN), b.mode, nowMs);
      if (run) runs.push(run);
      if (runs.length >= want) break;
    }
    if (runs.length < want && window.last) cursorMs = end;
  }
  if (runs.length >= want && cursorMs !== end && isPastLast(input, cursorMs)) cursorMs = end;
  return { runs, cursorMs };
}

/** No nominal time is left past `cursorMs`: the walk can end now rather than on its next step. */
function isPastLast(input: WalkInput, cursorMs: number): boolean {
  const { backfill: b, calendar } = input;
  const job = { id: b.jobId, schedule: b.schedule };
  return b.order === "OLDEST_FIRST"
    ? nominalPage(job, calendar, cursorMs, b.toMs, 1).nominals.length === 0
    : nominalPage(job, calendar, b.fromMs, cursorMs, 1).nominals.length === 0;
}
