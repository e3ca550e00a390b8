import type { TenantStore } from "../../core/ports/tenant-store.js";
import { QUOTA_NAMES, type TenantRecord } from "../../core/tenant-quota.js";
import { copy, type MemoryDb, pageOf } from "./memory-db.js";

/** Tenants' quotas and slot counters in memory (the job store takes and gives back slots). */
export function createMemoryTenantStore(db: MemoryDb): TenantStore {
  function record(tenant: string): TenantRecord | undefined {
    const quotas = db.quotas.get(tenant);
    if (!quotas && !db.activeSlots.has(tenant)) return undefined;
    return {
      tenant,
      custom: copy(quotas?.custom ?? {}),
      activeSchedules: db.activeSlots.get(tenant) ?? 0,
      ...(quotas?.updatedMs !== undefined ? { updatedMs: quotas.updatedMs } : {}),
    };
  }
  return {
    get: async (tenant) => record(tenant),

    async list(pageSize, pageToken) {
      const tenants = [...new Set([...db.quotas.keys(), ...db.activeSlots.keys()])].sort();
      const page = pageOf(tenants, pageSize, pageToken);
      return { ...page, items: page.items.map((t) => record(t)!) };
    },

    async setQuotas(tenant, change, nowMs) {
      const quotas = db.quotas.get(tenant) ?? { custom: {} };
      for (const name of QUOTA_NAMES) {
        const v = change[name];
        if (v === null) delete quotas.custom[name];
        else if (v !== undefined) quotas.custom[name] = v;
      }
      quotas.updatedMs = nowMs;
      db.quotas.set(tenant, quotas);
      return record(tenant)!;
    },

    async freeFinished(tenant, nowMs) {
      let freed = 0;
      for (const stored of db.jobs.values()) {
        const { job } = stored;
        if (job.tenant !== tenant || !job.holdsSlot || job.status === "ACTIVE") continue;
        if ((stored.slotUntilMs ?? 0) > nowMs) continue;
        delete job.holdsSlot;
        delete stored.slotUntilMs;
        freed++;
      }
      db.activeSlots.set(tenant, Math.max(0, (db.activeSlots.get(tenant) ?? 0) - freed));
      return freed;
    },
  };
}
