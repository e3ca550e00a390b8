/**
 * Per-tenant quotas: what each one limits, the values in force, and the
 * message a caller refused by one sees (docs/tenants-and-quotas.md). Max
 * active schedules is enforced at create, resume and reactivation by a
 * conditional counter in the store (`active-slots.ts`); fires per minute
 * and concurrent runs at start, in each worker's memory (`tenant-limiter.ts`).
 */

import { TENANT_PATTERN } from "./caller.js";
import { ChronoringError, invalidArgument } from "./errors.js";
import type { Schedule } from "./job.js";

/** The quotas of one tenant; 0 means unlimited. */
export interface TenantQuotas {
  /** ACTIVE jobs (workflow node jobs excepted) the tenant may have at once. */
  maxActiveSchedules: number;
  /**
   * Runs of the tenant started per minute, across the cluster. Enforced at
   * start by the workers, each with its share (`tenant-limiter.ts`).
   */
  maxFiresPerMinute: number;
  /** Runs of the tenant RUNNING at once, across the cluster; enforced the same way. */
  maxConcurrentRuns: number;
}

export type QuotaName = keyof TenantQuotas;

export const QUOTA_NAMES: readonly QuotaName[] = [
  "maxActiveSchedules",
  "maxFiresPerMinute",
  "maxConcurrentRuns",
];

/** Each quota's name in the API (a field of `TenantQuotas`, a path of `update_mask`). */
export const QUOTA_FIELDS: Readonly<Record<QuotaName, string>> = {
  maxActiveSchedules: "max_active_schedules",
  maxFiresPerMinute: "max_fires_per_minute",
  maxConcurrentRuns: "max_concurrent_runs",
};

/** The largest value an admin may set (0, unlimited, aside). */
export const QUOTA_MAX = 100_000_000;

/** A tenant as stored: the quotas set for it and its count of active schedules. */
export interface TenantRecord {
  tenant: string;
  /** Quotas an admin set for this tenant; the others are the configured defaults. */
  custom: Partial<TenantQuotas>;
  /** ACTIVE jobs holding one of its active-schedule slots. */
  activeSchedules: number;
  /** Last quota change, if an admin made one. */
  updatedMs?: number;
}

/** The quotas in force: the tenant's own where set, else the defaults. */
export function effectiveQuotas(
  custom: Partial<TenantQuotas> | undefined,
  defaults: TenantQuotas,
): TenantQuotas {
  return { ...defaults, ...(custom ?? {}) };
}

/** A change to a tenant's quotas: a value (0: unlimited), or null to return to the default. */
export type QuotaChange = Partial<Record<QuotaName, number | null>>;

export function validateQuotaChange(change: QuotaChange): void {
  for (const name of QUOTA_NAMES) {
    const v = change[name];
    if (v === undefined || v === null) continue;
    if (!Number.isInteger(v) || v < 0 || v > QUOTA_MAX) {
      throw invalidArgument(`quotas.${QUOTA_FIELDS[name]}`, `0 (unlimited) to ${QUOTA_MAX}`);
    }
  }
}

/** A tenant name as tokens carry them (docs/security.md). */
export function validateTenantName(name: string, field = "tenant"): void {
  if (name === "") throw invalidArgument(field, "required");
  if (!TENANT_PATTERN.test(name)) {
    throw invalidArgument(field, `not a tenant name (${TENANT_PATTERN.source})`);
  }
}

/**
 * The ResourceExhausted a create (or resume, or reactivation) gets past the
 * active-schedules quota, naming the quota, its limit and the current use:
 * `tenant acme: active schedules 500 of 500 (max_active_schedules)`.
 */
export function activeSchedulesExhausted(
  tenant: string,
  use: number,
  limit: number,
): ChronoringError {
  return new ChronoringError(
    "resource_exhausted",
    `tenant ${tenant}: active schedules ${use} of ${limit} (${QUOTA_FIELDS.maxActiveSchedules})`,
  );
}

/** The instant past which no job can run forever: a job without an end. */
export const NO_END_MS = 8_640_000_000_000_000;

/**
 * When a job holding an active-schedule slot may have finished by itself (its
 * last run claimed): its one run for a one-time job, the schedule's end for
 * a bounded one, its next run for one with `remaining_runs` (any claim may
 * spend the last). The store looks for finished jobs among those whose time
 * passed, so that a finish costs no write when it happens.
 */
export function activeUntil(
  schedule: Schedule,
  nextRunMs: number | undefined,
  remainingRuns?: number,
): number {
  if (schedule.kind === "once") return nextRunMs ?? schedule.at;
  if (remainingRuns !== undefined) return Math.min(nextRunMs ?? 0, schedule.endMs ?? NO_END_MS);
  return schedule.endMs ?? NO_END_MS;
}
