import { type Backfill, isActive } from "../../core/backfill/types.js";
import { alreadyExists } from "../../core/errors.js";
import type { BackfillStore } from "../../core/ports/backfill-store.js";
import { inScope } from "../../core/tenant.js";
import { copy, pageOf } from "./memory-db.js";

/**
 * Backfill records in memory, with the DynamoDB adapter's conditions: a
 * create refuses a taken id, a save applies only over the version before it.
 */
export function createMemoryBackfillStore(): BackfillStore {
  const records = new Map<string, Backfill>();
  const newestFirst = (a: Backfill, b: Backfill) =>
    b.createdMs - a.createdMs || (a.id < b.id ? 1 : -1);

  return {
    async init() {},

    async create(backfill) {
      if (records.has(backfill.id)) throw alreadyExists(`backfill ${backfill.id}`);
      records.set(backfill.id, copy(backfill));
    },

    async get(scope, id) {
      const found = records.get(id);
      return found && inScope(scope, found.tenant) ? copy(found) : undefined;
    },

    async listByJob(tenant, jobId, pageSize, pageToken) {
      const mine = [...records.values()]
        .filter((b) => b.jobId === jobId && b.tenant === tenant)
        .sort(newestFirst);
      const page = pageOf(mine, pageSize, pageToken);
      return { ...page, items: page.items.map(copy) };
    },

    async listActive(limit) {
      return [...records.values()]
        .filter(isActive)
        .sort((a, b) => a.createdMs - b.createdMs)
        .slice(0, limit)
        .map(copy);
    },

    async save(backfill) {
      const stored = records.get(backfill.id);
      if (!stored || stored.version !== backfill.version - 1) return false;
      records.set(backfill.id, copy(backfill));
      return true;
    },
  };
}
