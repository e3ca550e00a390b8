import { parseExecutionId } from "../../src/core/execution.js";
import type { Window } from "../harness/schedule.js";
import type { ExecutionRow } from "../harness/verdict.js";
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
 * what a job owner sees; the store's `started` and `queued` times are given
 * beside it.
 */
export function judgeWindow(
  expected: ExpectedRuns,
  rows: ExecutionRow[],
  log: EndpointLog,
  checked: Window,
  measured: Window,
) {
  const ok = new Map<string, number>();
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
    const ms = at - Number(run.slice(run.lastIndexOf(":") + 1));
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
        .map((r) => r.started! - r.scheduled),
    ),
    sent_lateness_ms: summary(
      inWindow.filter((r) => r.attempt === 1 && r.queued).map((r) => r.queued! - r.scheduled),
    ),
  };
}
