/**
 * What became of each nominal time of a ledger page, from what is stored:
 * the executions of the page's fire instants, the job's pause history, its
 * next and last claimed runs and its misfire policy. Pure.
 *
 * Order of the rules, for a time whose run fires at `f`:
 * 1. dropped by the schedule's own rules (DST, calendar): as judged;
 * 2. an execution at `f` (not a TriggerJob run): SKIPPED_OVERLAP, HELD,
 *    DST_SHIFTED or STARTED (a claimed run not started yet: PENDING; one
 *    cancelled unstarted by a pause: SKIPPED_PAUSED); with a flexible
 *    window, a note of its planned start and its start after that;
 * 3. no execution: inside a pause, SKIPPED_PAUSED; after the last run of a
 *    FINISHED job (its remaining_runs used up, or its schedule done),
 *    FINISHED; ahead of now or of the job's next run, PENDING; claimed moments ago with no later run started
 *    yet, PENDING (in the queue); under FIRE_ONCE followed by a run, MERGED
 *    into it; else MISSED (a later run started: this one is not coming).
 */

import type { Execution } from "../execution.js";
import type { Job } from "../job.js";
import type { PauseRecord } from "../pause.js";
import { windowOf, windowText } from "../schedule/flexible-window.js";
import { DEFAULT_MISFIRE } from "../schedule/policies.js";
import type { Nominal } from "./nominal.js";
import { type FireOutcome, type LedgerFire, PENDING_GRACE_MS } from "./types.js";

export type LedgerJob = Pick<
  Job,
  "schedule" | "status" | "pauses" | "nextRunMs" | "lastRunMs" | "updatedMs" | "remainingRuns"
>;

/** The attempts of one run, lowest attempt first. */
type Attempts = Execution[];

/** Scheduled runs (not TriggerJob's) by scheduled instant. */
export function runsByInstant(executions: readonly Execution[]): Map<number, Attempts> {
  const runs = new Map<number, Attempts>();
  for (const e of executions) {
    if (e.manual) continue;
    const list = runs.get(e.scheduledMs) ?? [];
    list.push(e);
    runs.set(e.scheduledMs, list);
  }
  for (const list of runs.values()) list.sort((a, b) => a.attempt - b.attempt);
  return runs;
}

/** The job's pause intervals; a job PAUSED before pauses were recorded is paused since its last change. */
export function pauseIntervals(job: LedgerJob): PauseRecord[] {
  const pauses = [...(job.pauses ?? [])];
  const open = pauses.at(-1);
  if (job.status === "PAUSED" && (open === undefined || open.resumedMs !== undefined)) {
    pauses.push({ pausedMs: job.updatedMs, by: "" });
  }
  return pauses;
}

function pauseAt(pauses: readonly PauseRecord[], ms: number): PauseRecord | undefined {
  return pauses.find((p) => p.pausedMs <= ms && (p.resumedMs === undefined || ms < p.resumedMs));
}

function pauseNote(pause: PauseRecord): string {
  const who = pause.by === "" ? "paused" : `paused by ${pause.by}`;
  return pause.note ? `${who}: ${pause.note}` : who;
}

/**
 * Classifies the nominal times of a page. `runs`: the job's scheduled runs
 * by instant, covering every fire instant of the page; `nextRunAfter`: the
 * first scheduled run after the page's last fire instant, if one was read
 * (a catch-up run that merged the page's last missed times).
 */
export function classifyFires(
  nominals: readonly Nominal[],
  runs: ReadonlyMap<number, Attempts>,
  job: LedgerJob,
  nowMs: number,
  laterRun?: Execution,
): LedgerFire[] {
  const pauses = pauseIntervals(job);
  const misfire = job.schedule.misfire ?? DEFAULT_MISFIRE;
  const instants = [...runs.keys()].sort((a, b) => a - b);
  /** The first scheduled run strictly after `ms`. */
  const runAfter = (ms: number): Execution | undefined => {
    const at = instants.find((i) => i > ms);
    return at === undefined ? laterRun : runs.get(at)![0];
  };

  return nominals.map((n): LedgerFire => {
    const fire: LedgerFire = {
      nominalMs: n.nominalMs,
      local: n.local,
      outcome: "PENDING",
      notes: [...n.notes],
    };
    if (n.dropped !== undefined || n.fireMs === undefined) {
      fire.outcome = n.dropped ?? "SKIPPED_CALENDAR";
      return fire;
    }
    const f = n.fireMs;
    fire.fireMs = f;
    const pause = pauseAt(pauses, f);
    const attempts = runs.get(f);
    if (attempts !== undefined) {
      const first = attempts[0]!;
      const last = attempts.at(-1)!;
      fire.executionId = first.id;
      fire.executionStatus = last.status;
      fire.attempts = attempts.length;
      fire.outcome = startedOutcome(n, first, last, pause);
      if (fire.outcome === "SKIPPED_PAUSED" && pause) {
        fire.pause = pause;
        fire.notes.push(pauseNote(pause));
      } else if (fire.outcome === "HELD") {
        fire.wait = attempts.find((a) => a.wait)!.wait!;
      }
      if (first.error && (last.status === "SKIPPED" || last.status === "CANCELLED")) {
        fire.notes.push(first.error);
      }
      const window = windowNoteOf(job.schedule, first);
      if (window) fire.notes.push(window);
      return fire;
    }
    if (pause) {
      fire.outcome = "SKIPPED_PAUSED";
      fire.pause = pause;
      fire.notes.push(pauseNote(pause));
      return fire;
    }
    if (job.status === "FINISHED" && (job.lastRunMs === undefined || f > job.lastRunMs)) {
      fire.outcome = "FINISHED";
      fire.notes.push(finishedNote(job));
      return fire;
    }
    if (f > nowMs) return fire;
    if (job.status === "ACTIVE" && job.nextRunMs !== undefined && f >= job.nextRunMs) {
      fire.notes.push("due, not yet claimed");
      return fire;
    }
    const claimedRecently =
      job.lastRunMs !== undefined &&
      f <= job.lastRunMs &&
      // A run with a flexible window may wait up to the window before its start.
      nowMs - f < PENDING_GRACE_MS + windowOf(job.schedule);
    const later = runAfter(f);
    if (claimedRecently && later === undefined) {
      fire.notes.push("claimed, not yet started");
      return fire;
    }
    fire.misfire = misfire;
    if (misfire.mode === "FIRE_ONCE" && later !== undefined) {
      fire.outcome = "MERGED";
      fire.executionId = later.id;
      fire.notes.push(`merged into the catch-up run ${later.id} (misfire FIRE_ONCE)`);
      return fire;
    }
    fire.outcome = "MISSED";
    fire.notes.push(missedNote(misfire.mode, misfire.windowMs));
    return fire;
  });
}

function startedOutcome(
  n: Nominal,
  first: Execution,
  last: Execution,
  pause: PauseRecord | undefined,
): FireOutcome {
  if (last.status === "SKIPPED") return "SKIPPED_OVERLAP";
  if (first.startedMs === undefined && last.status === "CANCELLED" && pause) {
    return "SKIPPED_PAUSED";
  }
  if (first.startedMs === undefined && (last.status === "QUEUED" || last.status === "SCHEDULED")) {
    return "PENDING";
  }
  if (first.wait !== undefined || last.wait !== undefined) return "HELD";
  return n.shifted ? "DST_SHIFTED" : "STARTED";
}

/**
 * Where in its flexible window a run was planned and how late it started
 * after that: its lateness counts from the planned start, not from its time.
 */
function windowNoteOf(schedule: LedgerJob["schedule"], first: Execution): string | undefined {
  const windowMs = windowOf(schedule);
  if (windowMs === 0 || first.plannedMs === undefined) return undefined;
  const into = `flexible window ${windowText(windowMs)}: planned start ${seconds(first.plannedMs - first.scheduledMs)} into it`;
  return first.startedMs === undefined
    ? into
    : `${into}; started ${seconds(first.startedMs - first.plannedMs)} after the planned start`;
}

/** `12.345 s`. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

function finishedNote(job: LedgerJob): string {
  return job.remainingRuns === 0
    ? "after the job's last run: its remaining_runs are used up (FINISHED)"
    : "after the job's last run: it is FINISHED";
}

function missedNote(mode: string, windowMs: number): string {
  switch (mode) {
    case "SKIP":
      return "not fired in time; dropped (misfire SKIP)";
    case "FIRE_ALL":
      return `not fired in time; dropped: older than the catch-up window (${windowMs / 60_000} min) or over max_catch_up (misfire FIRE_ALL)`;
    default:
      return "not fired in time, and no catch-up run followed in the range (misfire FIRE_ONCE)";
  }
}
