import type { ApplyStore } from "../../core/ports/apply-store.js";
import { inScope } from "../../core/tenant.js";
import { copy, type MemoryDb } from "./memory-db.js";

/** The key of a tenant's external key or namespace in the memory maps. */
export const scoped = (tenant: string, name: string) => `${tenant}\0${name}`;

/**
 * ApplyJobs' store in memory, with the DynamoDB adapter's rules: a
 * namespace's apply starts only at the generation read and while no live
 * lease is held.
 */
export function createMemoryApplyStore(db: MemoryDb): ApplyStore {
  return {
    async getJobByExternalKey(tenant, key) {
      const id = db.externalKeys.get(scoped(tenant, key));
      const stored = id === undefined ? undefined : db.jobs.get(id);
      return stored && inScope(tenant, stored.job.tenant) ? copy(stored.job) : undefined;
    },

    async applyGeneration(tenant, namespace) {
      return db.applyNamespaces.get(scoped(tenant, namespace))?.generation ?? 0;
    },

    async beginApply(tenant, namespace, start) {
      const key = scoped(tenant, namespace);
      const record = db.applyNamespaces.get(key) ?? { generation: 0 };
      if (record.generation !== start.generation) return false;
      if (record.token !== undefined && (record.untilMs ?? 0) > start.nowMs) return false;
      db.applyNamespaces.set(key, {
        generation: start.generation + 1,
        token: start.token,
        untilMs: start.untilMs,
      });
      return true;
    },

    async endApply(tenant, namespace, token) {
      const record = db.applyNamespaces.get(scoped(tenant, namespace));
      if (record?.token === token) {
        delete record.token;
        delete record.untilMs;
      }
    },
  };
}
