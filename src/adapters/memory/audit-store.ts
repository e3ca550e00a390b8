import type { AuditEvent } from "../../core/audit.js";
import type { AuditStore } from "../../core/ports/audit-store.js";
import { copy, pageOf } from "./memory-db.js";

/** Audit events in memory, newest first; kept for the life of the process. */
export function createMemoryAuditStore(): AuditStore {
  const events: AuditEvent[] = [];
  return {
    async init() {},
    async putEvents(batch) {
      events.push(...batch.map(copy));
    },
    async listEvents(q) {
      const found = events
        .filter(
          (e) =>
            e.atMs >= q.fromMs &&
            e.atMs < q.toMs &&
            (q.tenant === undefined || e.tenant === q.tenant) &&
            (!q.service || e.service === q.service) &&
            (!q.method || e.method === q.method) &&
            (!q.subject || e.subject === q.subject) &&
            (!q.resourceId || e.resourceIds.includes(q.resourceId)),
        )
        .sort((a, b) => b.atMs - a.atMs);
      const page = pageOf(found, q.pageSize, q.pageToken);
      return { ...page, items: page.items.map(copy) };
    },
  };
}
