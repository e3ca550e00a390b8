/**
 * Run limits of a job (max concurrent, overlap policy, rate limit): the pure
 * decision a worker takes before starting a run. The state it reads lives on
 * the job record and is changed only by conditional writes (see the store's
 * `RunLimits` port), so the decision holds across the whole worker fleet.
 */

import { invalidArgument } from "./errors.js";
import type { JobLimits, OverlapPolicy } from "./job.js";

export const MAX_CONCURRENT_MAX = 1000;
export const RATE_MAX_RUNS_MAX = 100_000;
export const RATE_WINDOW_MIN_MS = 1000;
export const RATE_WINDOW_MAX_MS = 24 * 3600_000;
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = [
  "ALLOW",
  "SKIP",
  "BUFFER_ONE",
  "CANCEL_PREVIOUS",
];

/** The limit counters on a job record, with stale entries already removed. */
export interface LimitState {
  /** Execution ids of the job's runs that are RUNNING. */
  running: string[];
  /** The run waiting under BUFFER_ONE, if one is. */
  buffered?: string;
  /** Index of the rate window the count belongs to (`floor(ms / windowMs)`). */
  rateWindow?: number;
  rateCount?: number;
}

export type StartDecision =
  /** Start now; record these rate counters with the start. */
  | { kind: "start"; rateWindow?: number; rateCount?: number }
  /** Try again at `untilMs`; `buffer` marks this run as the one BUFFER_ONE keeps. */
  | { kind: "wait"; untilMs: number; reason: string; buffer: boolean }
  /** Do not run: record the run SKIPPED. */
  | { kind: "skip"; reason: string }
  /** Ask these runs to stop, then try again at `untilMs`. */
  | { kind: "cancel_previous"; ids: string[]; untilMs: number; reason: string };

/** How many runs may be RUNNING at once under these limits. */
export function concurrencyCap(limits: JobLimits): number {
  const cap = limits.maxConcurrent ?? Number.POSITIVE_INFINITY;
  return limits.overlap === "ALLOW" ? cap : Math.min(cap, 1);
}

/**
 * What run `me` (an execution id) does now. Concurrency first: a run the
 * overlap policy drops is dropped whatever the rate. Then the rate: a run
 * over it waits for the next window. `retryMs` is how soon a waiting run
 * looks again when no window tells when.
 */
export function decideStart(
  limits: JobLimits,
  state: LimitState,
  me: string,
  nowMs: number,
  retryMs: number,
): StartDecision {
  const others = state.running.filter((id) => id !== me);
  const cap = concurrencyCap(limits);
  const waitingOther = state.buffered !== undefined && state.buffered !== me;
  if (limits.overlap === "BUFFER_ONE" && waitingOther) {
    // The waiting run goes first; a third one is dropped even if a slot is free.
    return { kind: "skip", reason: "another run is already waiting (overlap BUFFER_ONE)" };
  }
  if (others.length >= cap) {
    switch (limits.overlap) {
      case "ALLOW":
        return {
          kind: "wait",
          untilMs: nowMs + retryMs,
          reason: `waiting: ${others.length} runs running, max_concurrent ${cap}`,
          buffer: false,
        };
      case "SKIP":
        return { kind: "skip", reason: "the previous run was still running (overlap SKIP)" };
      case "BUFFER_ONE":
        return {
          kind: "wait",
          untilMs: nowMs + retryMs,
          reason: "waiting for the previous run to end (overlap BUFFER_ONE)",
          buffer: true,
        };
      case "CANCEL_PREVIOUS":
        return {
          kind: "cancel_previous",
          ids: others,
          untilMs: nowMs + retryMs,
          reason: "cancelling the previous run (overlap CANCEL_PREVIOUS)",
        };
    }
  }
  const rate = limits.rateLimit;
  if (!rate) return { kind: "start" };
  const window = Math.floor(nowMs / rate.windowMs);
  const count = state.rateWindow === window ? (state.rateCount ?? 0) : 0;
  if (count >= rate.maxRuns) {
    return {
      kind: "wait",
      untilMs: (window + 1) * rate.windowMs,
      reason: `waiting: rate limit of ${rate.maxRuns} runs per ${rate.windowMs} ms reached`,
      buffer: false,
    };
  }
  return { kind: "start", rateWindow: window, rateCount: count + 1 };
}

/** Validates limits as the API received them; field paths are under `limits`. */
export function validateLimits(limits: JobLimits, field = "limits"): void {
  const { maxConcurrent, overlap, rateLimit } = limits;
  if (maxConcurrent !== undefined) {
    if (
      !Number.isInteger(maxConcurrent) ||
      maxConcurrent < 0 ||
      maxConcurrent > MAX_CONCURRENT_MAX
    ) {
      throw invalidArgument(`${field}.max_concurrent`, `0 to ${MAX_CONCURRENT_MAX}`);
    }
  }
  if (!OVERLAP_POLICIES.includes(overlap)) {
    throw invalidArgument(`${field}.overlap`, "unknown overlap policy");
  }
  if (rateLimit) {
    if (
      !Number.isInteger(rateLimit.maxRuns) ||
      rateLimit.maxRuns < 1 ||
      rateLimit.maxRuns > RATE_MAX_RUNS_MAX
    ) {
      throw invalidArgument(`${field}.rate_limit.max_runs`, `1 to ${RATE_MAX_RUNS_MAX}`);
    }
    if (rateLimit.windowMs < RATE_WINDOW_MIN_MS || rateLimit.windowMs > RATE_WINDOW_MAX_MS) {
      throw invalidArgument(`${field}.rate_limit.window`, "1 s to 1 day");
    }
  }
}

/** Limits that limit nothing are dropped, so that the job costs nothing extra per run. */
export function normalizeLimits(limits: JobLimits | undefined): JobLimits | undefined {
  if (!limits) return undefined;
  const out: JobLimits = { overlap: limits.overlap };
  if (limits.maxConcurrent) out.maxConcurrent = limits.maxConcurrent;
  if (limits.rateLimit) out.rateLimit = limits.rateLimit;
  if (out.overlap === "ALLOW" && out.maxConcurrent === undefined && !out.rateLimit)
    return undefined;
  return out;
}
