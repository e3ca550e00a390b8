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

/**
 * A tenant's quotas are read again after this long: an admin's change takes
 * effect within it and the read's own time.
 */
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
 *
 * Only a tenant's first run waits for the read. Once its quotas are known, a
 * run admitted after they are 10 s old is admitted on them while one read,
 * for all the tenant's runs, fetches them again beside it: a store read sits
 * in no run's start, and a busy store (a burst) gets one read a tenant, not
 * one per run that came while the read was out.
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
  /** The read of a tenant's quotas in flight: every run that needs it shares it. */
  const reading = new Map<string, Promise<FireQuotas>>();

  function read(tenant: string): Promise<FireQuotas> {
    const inFlight = reading.get(tenant);
    if (inFlight) return inFlight;
    const readMs = deps.clock.now();
    const p = deps.tenants
      .get(tenant)
      .then((record) => effectiveQuotas(record?.custom, deps.defaults))
      .catch((err: unknown) => {
        deps.logger.warn(
          { err, tenant },
          "could not read the tenant's quotas; using the last known",
        );
        return cache.get(tenant)?.quotas ?? deps.defaults;
      })
      .then((quotas) => {
        cache.set(tenant, { quotas, readMs });
        reading.delete(tenant);
        return quotas;
      });
    reading.set(tenant, p);
    return p;
  }

  function quotasOf(tenant: string): Promise<FireQuotas> | FireQuotas {
    const cached = cache.get(tenant);
    if (!cached) return read(tenant);
    if (deps.clock.now() - cached.readMs >= QUOTA_CACHE_MS) void read(tenant);
    return cached.quotas;
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
