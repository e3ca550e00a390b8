/**
 * Retry policies: which failures are retried, how often and after how long.
 * Pure: validation, the backoff delay and the retry decision take no clock
 * and no randomness of their own (jitter draws from the `random` passed in).
 */

import { backoffDelay } from "./backoff.js";
import { invalidArgument } from "./errors.js";

export type RetryStrategy = "NONE" | "ON_FAILURE" | "ALWAYS";
export type Backoff = "FIXED" | "EXPONENTIAL";

/** A job's retry policy with every default filled in. */
export interface RetryPolicy {
  strategy: RetryStrategy;
  /** Retries after the first attempt. */
  maxRetries: number;
  backoff: Backoff;
  retryDelayMs: number;
  /** Cap on an exponential delay. */
  maxDelayMs: number;
  /** 0..1: the fraction of each delay that is randomised. */
  jitter: number;
}

export const MAX_RETRIES_DEFAULT = 3;
export const MAX_RETRIES_LIMIT = 100;
export const RETRY_DELAY_DEFAULT_MS = 1_000;
/** Longest delay a policy may ask for; also the default cap. */
export const RETRY_DELAY_LIMIT_MS = 7 * 24 * 3_600_000;

/** A policy as it comes from the API: absent fields take the defaults. */
export interface RetryPolicyInput {
  strategy?: RetryStrategy;
  maxRetries?: number;
  backoff?: Backoff;
  retryDelayMs?: number;
  maxDelayMs?: number;
  jitter?: number;
}

/** Fills the defaults and validates; invalid_argument names the field under `field`. */
export function retryPolicyFromInput(input: RetryPolicyInput, field = "retry_policy"): RetryPolicy {
  const policy: RetryPolicy = {
    strategy: input.strategy ?? "NONE",
    maxRetries: input.maxRetries ?? MAX_RETRIES_DEFAULT,
    backoff: input.backoff ?? "FIXED",
    retryDelayMs: input.retryDelayMs ?? RETRY_DELAY_DEFAULT_MS,
    maxDelayMs: input.maxDelayMs ?? RETRY_DELAY_LIMIT_MS,
    jitter: input.jitter ?? 0,
  };
  validateRetryPolicy(policy, field);
  return policy;
}

export function validateRetryPolicy(p: RetryPolicy, field = "retry_policy"): void {
  if (!Number.isInteger(p.maxRetries) || p.maxRetries < 0 || p.maxRetries > MAX_RETRIES_LIMIT) {
    throw invalidArgument(`${field}.max_retries`, `must be 0 to ${MAX_RETRIES_LIMIT}`);
  }
  for (const [name, ms] of [
    ["retry_delay", p.retryDelayMs],
    ["max_delay", p.maxDelayMs],
  ] as const) {
    if (!Number.isFinite(ms) || ms < 0) {
      throw invalidArgument(`${field}.${name}`, "must not be negative");
    }
    if (ms > RETRY_DELAY_LIMIT_MS) throw invalidArgument(`${field}.${name}`, "at most 7 days");
  }
  if (p.maxDelayMs < p.retryDelayMs) {
    throw invalidArgument(`${field}.max_delay`, "must be at least retry_delay");
  }
  if (!Number.isFinite(p.jitter) || p.jitter < 0 || p.jitter > 1) {
    throw invalidArgument(`${field}.jitter`, "must be 0 to 1");
  }
}

/**
 * The delay before retry `retry` (1 for the first retry). FIXED: retry_delay;
 * EXPONENTIAL: retry_delay × 2^(retry-1), at most max_delay. Jitter takes a
 * random fraction of up to `jitter` off the nominal delay, so that the cap
 * still holds; `random` returns [0, 1). The shared {@link backoffDelay}.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number): number {
  const exponential = policy.backoff === "EXPONENTIAL";
  return backoffDelay(
    {
      baseMs: policy.retryDelayMs,
      maxMs: exponential ? policy.maxDelayMs : policy.retryDelayMs,
      factor: exponential ? 2 : 1,
      jitter: policy.jitter,
    },
    retry,
    random,
  );
}

/** Whether a failed attempt is followed by another, and why not if not. */
export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; dead: boolean; reason?: string };

/**
 * Decides what follows failed attempt `attempt` (1-based). Under NONE (or no
 * policy) nothing: the attempt stays FAILED. Otherwise a retry while retries
 * are left and the failure qualifies (ON_FAILURE: marked retryable), else the
 * run is dead.
 */
export function decideRetry(
  policy: RetryPolicy | undefined,
  attempt: number,
  retryable: boolean,
  random: () => number,
): RetryDecision {
  if (!policy || policy.strategy === "NONE") return { retry: false, dead: false };
  if (policy.strategy === "ON_FAILURE" && !retryable) {
    return { retry: false, dead: true, reason: "permanent failure" };
  }
  if (attempt > policy.maxRetries) {
    return {
      retry: false,
      dead: true,
      reason: `retries exhausted (${policy.maxRetries} of ${policy.maxRetries})`,
    };
  }
  return { retry: true, delayMs: retryDelayMs(policy, attempt, random) };
}
