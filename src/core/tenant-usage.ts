/**
 * What a tenant uses of its fire-rate and concurrency quotas, as the
 * processes that enforce them report it: each scheduler node and each worker
 * knows only its own share, and writes it for the tenant every refresh
 * interval while it has something to say (a write per process and tenant
 * per interval, never one per run). GetTenant sums the fresh reports.
 */

/** One process's report for one tenant. */
export interface UsageReport {
  /** The node or worker id. */
  reporter: string;
  role: "scheduler" | "worker";
  atMs: number;
  /** Scheduler: the minute (epoch ms / 60 000) that `fired` counts in. */
  minute?: number;
  /** Scheduler: runs this node fired for the tenant in `minute`. */
  fired?: number;
  /** Scheduler: runs this node claimed and holds for a later minute (fire rate). */
  heldForRate?: number;
  /** Worker: the tenant's runs executing on it. */
  running?: number;
  /** Worker: runs it put back for the concurrency quota since its last report. */
  heldForConcurrency?: number;
}

/** A tenant's use, summed over the reports that are still fresh. */
export interface UsageSummary {
  firesThisMinute: number;
  runningRuns: number;
  heldForRate: number;
  heldForConcurrency: number;
  /** The newest report summed; undefined when none was fresh. */
  reportedMs?: number;
}

export const MINUTE_MS = 60_000;

/**
 * Sums the reports younger than `staleMs` (a process that stopped reporting
 * has stopped, or has nothing left to report): fires count only in the
 * current minute.
 */
export function summarizeUsage(
  reports: UsageReport[],
  nowMs: number,
  staleMs: number,
): UsageSummary {
  const minute = Math.floor(nowMs / MINUTE_MS);
  const sum: UsageSummary = {
    firesThisMinute: 0,
    runningRuns: 0,
    heldForRate: 0,
    heldForConcurrency: 0,
  };
  for (const r of reports) {
    if (nowMs - r.atMs > staleMs) continue;
    if (r.minute === minute) sum.firesThisMinute += r.fired ?? 0;
    sum.runningRuns += r.running ?? 0;
    sum.heldForRate += r.heldForRate ?? 0;
    sum.heldForConcurrency += r.heldForConcurrency ?? 0;
    sum.reportedMs = Math.max(sum.reportedMs ?? 0, r.atMs);
  }
  return sum;
}
