import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from "@aws-sdk/client-dynamodb";
import { parseExecutionId } from "../../src/core/execution.js";
import { round, summary } from "../stats.js";
import type { Window } from "./schedule.js";
import type { Endpoints } from "./stack.js";

/** One stored execution (an attempt of a run). */
export interface ExecutionRow {
  jobId: string;
  scheduled: number;
  attempt: number;
  st: string;
  /** When it was sent to the queue (the message's time). */
  queued?: number;
  /** When a worker started it. */
  started?: number;
  /** A run with a flexible window: the start its scheduler planned (`plan_ms`). */
  planned?: number;
}

/** Every execution of the window in the `<prefix>executions` table. */
export async function readExecutions(
  backends: Endpoints,
  prefix: string,
  window: Window,
): Promise<ExecutionRow[]> {
  const dynamo = new DynamoDBClient({
    endpoint: backends.dynamodb,
    region: backends.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const rows: ExecutionRow[] = [];
    let key: ScanCommandOutput["LastEvaluatedKey"];
    do {
      const out: ScanCommandOutput = await dynamo.send(
        new ScanCommand({ TableName: `${prefix}executions`, ExclusiveStartKey: key }),
      );
      for (const item of out.Items ?? []) {
        rows.push({
          jobId: item.job_id!.S!,
          scheduled: Number(item.sched_ms!.N),
          attempt: Number(item.attempt!.N),
          st: item.st!.S!,
          ...(item.queued?.N ? { queued: Number(item.queued.N) } : {}),
          ...(item.started?.N ? { started: Number(item.started.N) } : {}),
          ...(item.plan_ms?.N ? { planned: Number(item.plan_ms.N) } : {}),
        });
      }
      key = out.LastEvaluatedKey;
    } while (key);
    return rows.filter((r) => r.scheduled >= window.startMs && r.scheduled < window.endMs);
  } finally {
    dynamo.destroy();
  }
}

/**
 * Reads the executions until every run of every job succeeded and none is
 * still queued or running, or `timeoutMs` passed; returns the last read.
 */
export async function settleExecutions(
  backends: Endpoints,
  prefix: string,
  window: Window,
  jobs: number,
  timeoutMs = 60_000,
): Promise<ExecutionRow[]> {
  const expected = (jobs * (window.endMs - window.startMs)) / 1000;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await readExecutions(backends, prefix, window);
    const unsettled = rows.filter((r) => r.st === "RUNNING" || r.st === "QUEUED").length;
    const succeeded = new Set(
      rows.filter((r) => r.st === "SUCCEEDED").map((r) => `${r.jobId}:${r.scheduled}`),
    );
    if ((unsettled === 0 && succeeded.size >= expected) || Date.now() >= until) return rows;
    await sleep(1000);
  }
}

/** The figures every scenario reports, read from the executions and the side-effect log. */
export interface Verdict {
  expected_runs: number;
  /** Runs without a SUCCEEDED attempt. */
  missed: number;
  missed_examples: string[];
  /** SUCCEEDED attempts beyond one per run. */
  duplicates: number;
  /** Executions (attempts) that called the endpoint more than once. */
  duplicate_side_effects: number;
  /** Runs called by a lost attempt and again by its re-queued one (at-least-once). */
  side_effects_repeated_after_worker_loss: number;
  requeued: number;
  requeued_unfinished: number;
  /** First attempts: sent to the queue − scheduled. */
  lateness_ms: { p50: number; p99: number; max: number };
  /** Succeeded attempts: started by a worker − scheduled. */
  start_lateness_ms: { p50: number; p99: number; max: number };
  /**
   * Runs that started: their first attempt's start − scheduled, when the
   * handler was first invoked. It differs from `start_lateness_ms` for a run
   * whose worker died mid-run: that counts the re-queued attempt.
   */
  first_start_lateness_ms: { p50: number; p99: number; max: number };
  latest_runs: string[];
  side_effect_calls_unparsed: number;
}

export function judge(
  rows: ExecutionRow[],
  ids: string[],
  window: Window,
  effects: Map<string, number>,
): Verdict {
  const byRun = new Map<string, ExecutionRow[]>();
  for (const r of rows) {
    const key = `${r.jobId}:${r.scheduled}`;
    byRun.set(key, [...(byRun.get(key) ?? []), r]);
  }
  let missed = 0;
  let duplicates = 0;
  let duplicateEffects = 0;
  let repeatedAfterLoss = 0;
  const missedRuns: string[] = [];
  for (const id of ids) {
    for (let t = window.startMs; t < window.endMs; t += 1000) {
      const attempts = byRun.get(`${id}:${t}`) ?? [];
      const ok = attempts.filter((a) => a.st === "SUCCEEDED").length;
      if (ok === 0) {
        missed++;
        if (missedRuns.length < 10) missedRuns.push(`${id}:${t}`);
      }
      duplicates += Math.max(0, ok - 1);
      // An execution (one attempt) must call the endpoint at most once. A
      // worker killed after its call completed but before it recorded the
      // outcome leaves a call by the lost attempt and one by the re-queued
      // attempt: at-least-once across a worker's death, counted apart.
      for (const a of attempts) {
        duplicateEffects += Math.max(0, (effects.get(`${id}:${t}:${a.attempt}`) ?? 0) - 1);
      }
      const attemptsCalling = attempts.filter((a) => effects.has(`${id}:${t}:${a.attempt}`));
      if (attemptsCalling.length > 1) repeatedAfterLoss++;
    }
  }
  const requeued = rows.filter((r) => r.attempt > 1);
  const firstAttempts = sentFirstAttempts(rows);
  const latest = [...firstAttempts]
    .sort((a, b) => b.queued! - b.scheduled - (a.queued! - a.scheduled))
    .slice(0, 3)
    .map(
      (r) =>
        `${r.jobId}:${r.scheduled} sent +${r.queued! - r.scheduled} ms (t=${round((r.scheduled - window.startMs) / 1000)}s)`,
    );
  const started = rows.filter((r) => r.st === "SUCCEEDED" && r.started !== undefined);
  return {
    expected_runs: (ids.length * (window.endMs - window.startMs)) / 1000,
    missed,
    missed_examples: missedRuns,
    duplicates,
    duplicate_side_effects: duplicateEffects,
    side_effects_repeated_after_worker_loss: repeatedAfterLoss,
    requeued: requeued.length,
    requeued_unfinished: requeued.filter((r) => r.st !== "SUCCEEDED" && r.st !== "FAILED").length,
    lateness_ms: summary(firstAttempts.map((r) => r.queued! - r.scheduled)),
    start_lateness_ms: summary(started.map((r) => r.started! - r.scheduled)),
    first_start_lateness_ms: summary(
      [...byRun.values()].flatMap((attempts) => {
        const starts = attempts.flatMap((a) => (a.started === undefined ? [] : [a.started]));
        return starts.length ? [Math.min(...starts) - attempts[0]!.scheduled] : [];
      }),
    ),
    latest_runs: latest,
    side_effect_calls_unparsed: [...effects.keys()].filter((k) => !parseExecutionId(k)).length,
  };
}

/**
 * Per run of the window, the first call any of its attempts made to the
 * side-effect endpoint, minus its scheduled time (ms): the lateness of what
 * the target saw.
 */
export function callLateness(
  firstCalls: Map<string, number>,
  window: Window,
): { p50: number; p99: number; max: number } {
  const first = new Map<string, number>();
  for (const [id, at] of firstCalls) {
    const parsed = parseExecutionId(id);
    if (!parsed || parsed.scheduledMs < window.startMs || parsed.scheduledMs >= window.endMs) {
      continue;
    }
    const run = `${parsed.jobId}:${parsed.scheduledMs}`;
    const late = at - parsed.scheduledMs;
    first.set(run, Math.min(first.get(run) ?? late, late));
  }
  return summary([...first.values()]);
}

/** First attempts that were sent to the queue. */
export function sentFirstAttempts(rows: ExecutionRow[]): ExecutionRow[] {
  return rows.filter((r) => r.attempt === 1 && r.queued !== undefined);
}

/** Per job, the longest time between two successive successful starts. */
export function longestGaps(rows: ExecutionRow[], ids: string[]): number[] {
  return ids.map((id) => {
    const starts = rows
      .filter((r) => r.jobId === id && r.st === "SUCCEEDED" && r.started !== undefined)
      .map((r) => r.started!)
      .sort((a, b) => a - b);
    let longest = 0;
    for (let i = 1; i < starts.length; i++)
      longest = Math.max(longest, starts[i]! - starts[i - 1]!);
    return longest;
  });
}

/**
 * Recovery after a fault that ended at `fault.endMs`: from then until the
 * first run (scheduled since the fault began) that was sent or started less
 * than `thresholdMs` after its time, i.e. runs fire on time again; and how
 * many runs were that late afterwards all the same. null: never on time again.
 */
export function recovery(
  rows: ExecutionRow[],
  fault: { startMs: number; endMs: number },
  which: "queued" | "started",
  thresholdMs = 1000,
): { ms: number | null; late_runs_after: number } {
  const seen = rows
    .filter((r) => r.st === "SUCCEEDED" && r.scheduled >= fault.startMs && r[which] !== undefined)
    .filter((r) => r[which]! >= fault.endMs)
    .sort((a, b) => a[which]! - b[which]!);
  const back = seen.find((r) => r[which]! - r.scheduled < thresholdMs);
  if (!back) return { ms: null, late_runs_after: 0 };
  const lateAfter = seen.filter(
    (r) => r[which]! > back[which]! && r[which]! - r.scheduled >= thresholdMs,
  ).length;
  return { ms: Math.max(0, back[which]! - fault.endMs), late_runs_after: lateAfter };
}

/** Start lateness (p50/max, ms) of the runs scheduled in each `bucketS` of the window. */
export function latenessTimeline(rows: ExecutionRow[], window: Window, bucketS = 10): string[] {
  const out: string[] = [];
  for (let from = window.startMs; from < window.endMs; from += bucketS * 1000) {
    const late = rows
      .filter((r) => r.st === "SUCCEEDED" && r.started !== undefined)
      .filter((r) => r.scheduled >= from && r.scheduled < from + bucketS * 1000)
      .map((r) => r.started! - r.scheduled);
    const s = summary(late);
    const t = (from - window.startMs) / 1000;
    out.push(`t=${t}-${t + bucketS}s ${s.p50}/${s.max}`);
  }
  return out;
}
