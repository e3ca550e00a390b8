/**
 * TenantService in core: a tenant's quotas and use, and an admin's changes
 * to them. Who may call what is the API's role table (`api/access.ts`);
 * reading another tenant than the call's is checked here, where the tenant
 * named in the request meets the caller.
 */

import { finishedBy } from "./active-slots.js";
import { type Caller, roleIncludes } from "./caller.js";
import type { Clock } from "./clock.js";
import { ChronoringError } from "./errors.js";
import type { Page } from "./ports/job-store.js";
import type { TenantStore } from "./ports/tenant-store.js";
import {
  effectiveQuotas,
  QUOTA_NAMES,
  type QuotaChange,
  type QuotaName,
  type TenantQuotas,
  type TenantRecord,
  validateQuotaChange,
  validateTenantName,
} from "./tenant-quota.js";

/** A tenant as the API shows it. */
export interface TenantView {
  tenant: string;
  /** In force: the tenant's own where set, else the defaults. */
  quotas: TenantQuotas;
  /** The quotas an admin set for it. */
  custom: QuotaName[];
  activeSchedules: number;
  updatedMs?: number;
}

export interface TenantCommands {
  /** `tenant` empty: the caller's. Another tenant needs role admin. */
  get(caller: Caller, tenant: string): Promise<TenantView>;
  list(pageSize: number, pageToken?: string): Promise<Page<TenantView>>;
  /** `tenant` empty: the caller's. */
  updateQuota(caller: Caller, tenant: string, change: QuotaChange): Promise<TenantView>;
}

export function createTenantCommands(deps: {
  tenants: TenantStore;
  clock: Clock;
  defaults: TenantQuotas;
  /** See `SlotDeps.claimAheadMs`. */
  claimAheadMs: number;
}): TenantCommands {
  const { tenants, clock, defaults } = deps;

  function view(tenant: string, record: TenantRecord | undefined): TenantView {
    const custom = record?.custom ?? {};
    const v: TenantView = {
      tenant,
      quotas: effectiveQuotas(custom, defaults),
      custom: QUOTA_NAMES.filter((name) => custom[name] !== undefined),
      activeSchedules: record?.activeSchedules ?? 0,
    };
    if (record?.updatedMs !== undefined) v.updatedMs = record.updatedMs;
    return v;
  }

  function target(caller: Caller, tenant: string): string {
    if (tenant === "" || tenant === caller.tenant) return caller.tenant;
    validateTenantName(tenant);
    if (!roleIncludes(caller.role, "admin")) {
      throw new ChronoringError(
        "permission_denied",
        "tenant: reading another tenant's quotas needs role admin",
      );
    }
    return tenant;
  }

  return {
    async get(caller, tenant) {
      const name = target(caller, tenant);
      // Jobs that finished by themselves still hold their slots until this
      // gives them back: the use shown is exact.
      await tenants.freeFinished(name, finishedBy(deps, clock));
      return view(name, await tenants.get(name));
    },

    async list(pageSize, pageToken) {
      const page = await tenants.list(pageSize, pageToken);
      return { ...page, items: page.items.map((r) => view(r.tenant, r)) };
    },

    async updateQuota(caller, tenant, change) {
      const name = target(caller, tenant);
      validateQuotaChange(change);
      return view(name, await tenants.setQuotas(name, change, clock.now()));
    },
  };
}
