/**
 * Fairness at fire time: each worker admits a tenant's runs up to its share
 * of the tenant's `maxConcurrentRuns` and `maxFiresPerMinute`
 * (docs/tenants-and-quotas.md). Pure and in memory: an admission costs no
 * store call, so a quota costs nothing per fire. The price is an
 * approximation: the cluster-wide limit is split evenly over the live
 * workers, whatever share of the tenant's runs each one receives.
 */

import type { TenantQuotas } from "./tenant-quota.js";

export type HoldReason = "concurrency" | "rate";

export type Admission =
  | { kind: "start" }
  /** Not now: deliver the run again at `untilMs`; it is never dropped. */
  | { kind: "hold"; reason: HoldReason; untilMs: number };

export type FireQuotas = Pick<TenantQuotas, "maxFiresPerMinute" | "maxConcurrentRuns">;

const MINUTE_MS = 60_000;

/**
 * This worker's share of a cluster-wide limit over `workers` live workers:
 * at least 1, so that a limit smaller than the worker count still lets each
 * worker start runs (the cluster may then go over it by up to the count).
 */
export function shareOf(limit: number, workers: number): number {
  return Math.max(1, Math.floor(limit / Math.max(1, workers)));
}

interface TenantState {
  running: number;
  /** Token bucket of the rate share: tokens as of `refilledMs`. */
  tokens: number;
  refilledMs: number;
  /** The next start time promised to a run held for the rate: held runs come back spaced. */
  nextSlotMs: number;
}

export interface TenantLimiter {
  /** Admits a run of `tenant` now, counting it running; or says until when to hold it. */
  admit(tenant: string, quotas: FireQuotas, workers: number, nowMs: number): Admission;
  /** A run admitted by `admit` ended (or did not start after all). */
  release(tenant: string): void;
  running(tenant: string): number;
}

/**
 * Concurrency is a count of runs admitted and not released. The rate is a
 * token bucket holding up to one minute of the worker's share, refilled
 * evenly: in any minute at most twice the share starts (a full bucket, then
 * its refill), over time the share. A run held for the rate is given the
 * next free slot after the runs held before it, so a burst comes back spread
 * over the minutes it needs rather than all at once.
 */
export function createTenantLimiter(options: {
  /** How soon a run held for concurrency looks again (`limit-retry-ms`). */
  retryMs: number;
}): TenantLimiter {
  const states = new Map<string, TenantState>();

  function stateOf(tenant: string, nowMs: number): TenantState {
    let s = states.get(tenant);
    if (!s) {
      s = { running: 0, tokens: Number.POSITIVE_INFINITY, refilledMs: nowMs, nextSlotMs: 0 };
      states.set(tenant, s);
    }
    return s;
  }

  return {
    admit(tenant, quotas, workers, nowMs) {
      const s = stateOf(tenant, nowMs);
      if (quotas.maxConcurrentRuns > 0 && s.running >= shareOf(quotas.maxConcurrentRuns, workers)) {
        return { kind: "hold", reason: "concurrency", untilMs: nowMs + options.retryMs };
      }
      if (quotas.maxFiresPerMinute > 0) {
        const perMinute = shareOf(quotas.maxFiresPerMinute, workers);
        const intervalMs = MINUTE_MS / perMinute;
        const elapsed = Math.max(0, nowMs - s.refilledMs);
        s.tokens = Math.min(perMinute, s.tokens + elapsed / intervalMs);
        s.refilledMs = nowMs;
        if (s.tokens < 1) {
          // The next token, or the slot after those promised to runs held before.
          const nextToken = nowMs + Math.ceil((1 - s.tokens) * intervalMs);
          const untilMs = Math.max(nextToken, s.nextSlotMs);
          s.nextSlotMs = untilMs + intervalMs;
          return { kind: "hold", reason: "rate", untilMs };
        }
        s.tokens -= 1;
      }
      s.running++;
      return { kind: "start" };
    },
    release(tenant) {
      const s = states.get(tenant);
      if (s && s.running > 0) s.running--;
    },
    running(tenant) {
      return states.get(tenant)?.running ?? 0;
    },
  };
}
