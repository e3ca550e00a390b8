import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { TenantStore } from "../core/ports/tenant-store.js";
import {
  type Admission,
  createTenantLimiter,
  type FireQuotas,
  shareOf,
} from "../core/tenant-limiter.js";
import { effectiveQuotas, type TenantQuotas } from "../core/tenant-quota.js";

/** A tenant's quotas are read again after this long: an admin's change takes effect within it. */
const QUOTA_CACHE_MS = 10_000;

export interface TenantGate {
  /** Admits a run of `tenant` (counted running until `release`), or says until when to hold it. */
  admit(tenant: string): Promise<Admission>;
  release(tenant: string): void;
  /**
   * True while the tenant's concurrency share on this worker is taken, by
   * the quotas last read (none read yet: false). Synchronous, for the intake.
   */
  full(tenant: string): boolean;
  /** The first delay of a run sent back for concurrency (`limit-retry-ms`); later ones grow. */
  readonly retryMs: number;
}

/**
 * The worker's side of the fire-time quotas: the tenant's quotas, read from
 * the store at most once per tenant every 10 s, and this worker's share of
 * them (`core/tenant-limiter.ts`). A failed read keeps the last quotas known
 * (or the defaults): a store outage never stops runs from starting.
 */
export function createTenantGate(deps: {
  tenants: Pick<TenantStore, "get">;
  defaults: TenantQuotas;
  clock: Clock;
  /** Live workers sharing each limit (this one included). */
  workers: () => number;
  retryMs: number;
  logger: Logger;
}): TenantGate {
  const limiter = createTenantLimiter({ retryMs: deps.retryMs });
  const cache = new Map<string, { quotas: FireQuotas; readMs: number }>();

  async function quotasOf(tenant: string): Promise<FireQuotas> {
    const now = deps.clock.now();
    const cached = cache.get(tenant);
    if (cached && now - cached.readMs < QUOTA_CACHE_MS) return cached.quotas;
    try {
      const record = await deps.tenants.get(tenant);
      const quotas = effectiveQuotas(record?.custom, deps.defaults);
      cache.set(tenant, { quotas, readMs: now });
      return quotas;
    } catch (err) {
      deps.logger.warn({ err, tenant }, "could not read the tenant's quotas; using the last known");
      const quotas = cached?.quotas ?? deps.defaults;
      cache.set(tenant, { quotas, readMs: now });
      return quotas;
    }
  }

  return {
    retryMs: deps.retryMs,
    async admit(tenant) {
      const quotas = await quotasOf(tenant);
      return limiter.admit(tenant, quotas, deps.workers(), deps.clock.now());
    },
    release(tenant) {
      limiter.release(tenant);
    },
    full(tenant) {
      const max = cache.get(tenant)?.quotas.maxConcurrentRuns ?? 0;
      return max > 0 && limiter.running(tenant) >= shareOf(max, deps.workers());
    },
  };
}
