import { setTimeout as sleep } from "node:timers/promises";
import { parseExecutionId } from "../../src/core/execution.js";
import type { Window } from "../harness/schedule.js";
import type { Endpoints } from "../harness/stack.js";
import { type ExecutionRow, readExecutions } from "../harness/verdict.js";
import { round, summary } from "../stats.js";
import type { ExpectedRuns } from "./expected.js";

/** What the endpoint saw: completed calls and first arrival per execution id. */
export interface EndpointLog {
  effects: Map<string, number>;
  firstCalls: Map<string, number>;
}

/** First arrival at the endpoint of each run (`job:scheduledMs`) scheduled in the window. */
export function runArrivals(log: EndpointLog, window: Window): Map<string, number> {
  const first = new Map<string, number>();
  for (const [id, at] of log.firstCalls) {
    const p = parseExecutionId(id);
    if (!p || p.scheduledMs < window.startMs || p.scheduledMs >= window.endMs) continue;
    const run = `${p.jobId}:${p.scheduledMs}`;
    first.set(run, Math.min(first.get(run) ?? at, at));
  }
  return first;
}

/**
 * The fire window's verdict: every expected run (`expected.ts`) of the
 * `checked` window (from the first run of the mix) against the stored
 * executions and the endpoint's log: missed, duplicates, runs nobody
 * expected. Rate and lateness are those of the `measured` window, which
 * starts once the mix fires at its steady rate. Start lateness is the
 * endpoint's: its first call's arrival minus the scheduled (jittered) time,
 * what a job owner sees, or, for a run with a flexible window, minus the
 * start its scheduler planned (docs/time-policies.md: the part of the window
 * the scheduler chose to wait is not lateness); the store's `started` and
 * `queued` times are given beside it.
 */
export function judgeWindow(
  expected: ExpectedRuns,
  rows: ExecutionRow[],
  log: EndpointLog,
  checked: Window,
  measured: Window,
) {
  const ok = new Map<string, number>();
  const planned = plannedStarts(rows);
  for (const r of rows) {
    if (r.st !== "SUCCEEDED") continue;
    const run = `${r.jobId}:${r.scheduled}`;
    ok.set(run, (ok.get(run) ?? 0) + 1);
  }
  const missedExamples: string[] = [];
  let missed = 0;
  for (const [run, group] of expected) {
    if ((ok.get(run) ?? 0) > 0) continue;
    missed++;
    if (missedExamples.length < 10) missedExamples.push(`${run} (${group})`);
  }
  const duplicates = [...ok.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
  const unexpected = [...ok.keys()].filter((run) => !expected.has(run));
  let duplicateEffects = 0;
  for (const [id, calls] of log.effects) {
    const p = parseExecutionId(id);
    if (p && p.scheduledMs >= checked.startMs && p.scheduledMs < checked.endMs) {
      duplicateEffects += Math.max(0, calls - 1);
    }
  }
  const inMeasured = (run: string) => {
    const at = Number(run.slice(run.lastIndexOf(":") + 1));
    return at >= measured.startMs && at < measured.endMs;
  };
  const arrivals = runArrivals(log, measured);
  const late: number[] = [];
  const byGroup = new Map<string, number[]>();
  let lastArrival = measured.startMs;
  for (const [run, at] of arrivals) {
    const group = expected.get(run);
    if (group === undefined) continue;
    const ms = at - (planned.get(run) ?? Number(run.slice(run.lastIndexOf(":") + 1)));
    late.push(ms);
    const list = byGroup.get(group) ?? [];
    list.push(ms);
    byGroup.set(group, list);
    lastArrival = Math.max(lastArrival, at);
  }
  const measuredS = (measured.endMs - measured.startMs) / 1000;
  const offered = [...expected.keys()].filter(inMeasured);
  const succeeded = offered.filter((run) => (ok.get(run) ?? 0) > 0).length;
  const inWindow = rows.filter(
    (r) => r.scheduled >= measured.startMs && r.scheduled < measured.endMs,
  );
  return {
    runs_checked: expected.size,
    runs_expected: offered.length,
    runs_succeeded: succeeded,
    offered_fires_per_s: round(offered.length / measuredS, 2),
    fires_per_s: round(succeeded / measuredS, 2),
    missed,
    missed_examples: missedExamples,
    duplicates,
    duplicate_side_effects: duplicateEffects,
    unexpected_runs: unexpected.length,
    unexpected_examples: unexpected.slice(0, 5),
    start_lateness_ms: summary(late),
    start_lateness_by_group_ms: Object.fromEntries(
      [...byGroup].map(([group, values]) => [group, summary(values)]),
    ),
    runs_started_over_1s_late: late.filter((ms) => ms > 1000).length,
    /** From the window's end to the last run of the window reaching the endpoint. */
    drain_after_window_s: round(Math.max(0, lastArrival - measured.endMs) / 1000, 2),
    store_start_lateness_ms: summary(
      inWindow
        .filter((r) => r.st === "SUCCEEDED" && r.started)
        .map((r) => r.started! - (r.planned ?? r.scheduled)),
    ),
    sent_lateness_ms: summary(
      inWindow
        .filter((r) => r.attempt === 1 && r.queued)
        .map((r) => r.queued! - (r.planned ?? r.scheduled)),
    ),
  };
}

/** The planned start of each run (`job:scheduledMs`) that has one: runs with a flexible window. */
export function plannedStarts(rows: ExecutionRow[]): Map<string, number> {
  const planned = new Map<string, number>();
  for (const r of rows)
    if (r.planned !== undefined) planned.set(`${r.jobId}:${r.scheduled}`, r.planned);
  return planned;
}

/** How long runs of the window may still arrive after it, at most. */
const DRAIN_MAX_MS = 180_000;

/** Waits until no run of the window has reached the endpoint for 5 s (at most DRAIN_MAX_MS). */
export async function drain(
  arrivals: Map<string, number>,
  window: Window,
  log: (line: string) => void,
) {
  const until = Date.now() + DRAIN_MAX_MS;
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const n = runArrivals({ effects: new Map(), firstCalls: arrivals }, window).size;
    if (n !== last) {
      last = n;
      quietSince = Date.now();
    }
    if (Date.now() - quietSince >= 5_000 || Date.now() > until) break;
    await sleep(1_000);
  }
  log(`${last} runs of the window reached the endpoint`);
}

/** The window's executions, read again until every expected run succeeded (at most 60 s). */
export async function settled(
  backends: Endpoints,
  prefix: string,
  window: Window,
  expected: Map<string, string>,
  effect: { firstCalls: Map<string, number> },
  log: (line: string) => void,
) {
  const until = Date.now() + 60_000;
  for (;;) {
    const rows = await readExecutions(backends, prefix, window);
    const ok = new Set(
      rows.filter((r) => r.st === "SUCCEEDED").map((r) => `${r.jobId}:${r.scheduled}`),
    );
    const left = [...expected.keys()].filter((run) => !ok.has(run)).length;
    if (left === 0 || Date.now() > until) {
      if (left > 0)
        log(`${left} expected runs not succeeded (${effect.firstCalls.size} calls seen)`);
      return rows;
    }
    await sleep(2_000);
  }
}
