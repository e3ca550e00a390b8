/**
 * The audit trail: one event per audited call (who, what, when, with which
 * result), and the rules of listing them: who sees which tenant's events,
 * and the default time range. What is audited is decided by the API layer
 * (methods with side effects, and every call of an admin acting on another
 * tenant); how events are kept is the `AuditStore` port's.
 */

import { type Caller, type Role, roleIncludes } from "./caller.js";
import { ChronoringError, invalidArgument } from "./errors.js";

/** One audited call. */
export interface AuditEvent {
  /** A ULID: unique, sorts by time. */
  id: string;
  /** When the call ended, UTC epoch ms. */
  atMs: number;
  /** The token's `sub`; absent when no token checked out. */
  subject?: string;
  /** The tenant the call acted on; absent when no token checked out. */
  tenant?: string;
  /** The caller's highest role; absent when unknown. */
  role?: Role;
  /** An admin acting on another tenant: the admin's own tenant. */
  adminTenant?: string;
  /** `chronoring.v1.JobService`. */
  service: string;
  /** `CreateJob`. */
  method: string;
  /** Ids the request named and, on success, the response made; at most MAX_RESOURCE_IDS. */
  resourceIds: string[];
  /** The method has no side effects (recorded because an admin acted on another tenant). */
  readOnly: boolean;
  /** `ok` or the Connect code in snake case. */
  code: string;
  correlationId: string;
}

/** Enough for a batch of redriven runs; more would only bloat each event. */
export const MAX_RESOURCE_IDS = 100;

/** The range listed when the request names none. */
export const DEFAULT_AUDIT_RANGE_MS = 24 * 3600_000;

/** A listing as the store runs it: one tenant (or every tenant), a time range, filters. */
export interface AuditQuery {
  /** One tenant's events; absent: every tenant's (admins only). */
  tenant?: string;
  /** Inclusive, UTC epoch ms. */
  fromMs: number;
  /** Exclusive. */
  toMs: number;
  service?: string;
  method?: string;
  subject?: string;
  resourceId?: string;
  pageSize: number;
  pageToken?: string;
}

/** A listing as a client asks for it; absent bounds take the defaults. */
export type AuditRequest = Omit<AuditQuery, "fromMs" | "toMs"> & {
  fromMs?: number;
  toMs?: number;
};

/**
 * The query a caller may run: an admin lists every tenant (or the one it
 * names, or the one it acts on); anyone else its own tenant only, and naming
 * another is permission_denied. The range defaults to the 24 h before its end
 * (now by default), and must not be empty.
 */
export function auditQueryFor(caller: Caller, request: AuditRequest, nowMs: number): AuditQuery {
  const toMs = request.toMs ?? nowMs;
  const fromMs = request.fromMs ?? toMs - DEFAULT_AUDIT_RANGE_MS;
  if (fromMs >= toMs) throw invalidArgument("start_time", "must be before end_time");
  const { tenant: named, ...rest } = request;
  let tenant: string | undefined;
  if (roleIncludes(caller.role, "admin")) {
    tenant = named ?? (caller.actingAs ? caller.tenant : undefined);
  } else if (named === undefined || named === caller.tenant) {
    tenant = caller.tenant;
  } else {
    throw new ChronoringError(
      "permission_denied",
      "tenant: only an admin may list another tenant's events",
    );
  }
  return { ...rest, fromMs, toMs, ...(tenant !== undefined ? { tenant } : {}) };
}
