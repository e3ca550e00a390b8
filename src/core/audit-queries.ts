/**
 * ListAuditEvents: the caller's query (`auditQueryFor`), cut to the range
 * that can hold events, run on the store.
 */

import { type AuditEvent, type AuditRequest, auditQueryFor } from "./audit.js";
import type { Caller } from "./caller.js";
import type { Clock } from "./clock.js";
import type { AuditStore } from "./ports/audit-store.js";
import type { Page } from "./ports/job-store.js";

/**
 * How far apart API nodes' clocks may be: an event stamped by one is found
 * by a listing that ends "now" on another.
 */
const CLOCK_SKEW_MS = 60_000;

export interface AuditQueries {
  /** Events the caller may see, newest first. */
  list(caller: Caller, request: AuditRequest): Promise<Page<AuditEvent>>;
}

/**
 * ListAuditEvents over the store. The range is cut to what can hold events:
 * none is older than the retention (a day more, for TTL deletes that lag) or
 * newer than now (plus clock skew), so an open range reads only the days that
 * can hold events.
 */
export function createAuditQueries(deps: {
  store: AuditStore;
  clock: Clock;
  retentionDays: number;
}): AuditQueries {
  const keptMs = (deps.retentionDays + 1) * 86_400_000;
  return {
    async list(caller, request) {
      const nowMs = deps.clock.now();
      const query = auditQueryFor(caller, request, nowMs);
      query.fromMs = Math.max(query.fromMs, nowMs - keptMs);
      query.toMs = Math.min(query.toMs, nowMs + CLOCK_SKEW_MS);
      if (query.fromMs >= query.toMs) return { items: [] };
      return deps.store.listEvents(query);
    },
  };
}
