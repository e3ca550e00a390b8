import type { AuditEvent } from "../../core/audit.js";
import { ROLES, type Role } from "../../core/caller.js";
import { AUDIT_TTL_ATTRIBUTE } from "./audit-table.js";
import { type Item, n, s, str } from "./job-item.js";

/**
 * Audit item layout (table `<prefix>audit`, key `tenant` + `at`):
 * tenant (the tenant acted on; `-` when no token checked out, which no
 * tenant name can be), at (`<15-digit ms>#<ULID>`), day (`YYYY-MM-DD` UTC,
 * the `by_day` index hash), sub, role, adm (an acting admin's own tenant),
 * svc, m (method), ids (L of S, absent when none), ro (BOOL: read-only
 * method), code, cid (correlation id), expires_at (N, epoch s: TTL).
 */

/** The hash of events whose caller is unknown: refused before a token checked out. */
export const UNKNOWN_TENANT = "-";

const RANGE_KEY = /^(\d{15})#([0-9A-Z]{26})$/;

/** The range key of an event, or a bound of a time range (`rangeKey(ms)` sorts before every event at ms). */
export function rangeKey(atMs: number, id = ""): string {
  const ms = String(Math.max(0, Math.trunc(atMs))).padStart(15, "0");
  return id === "" ? ms : `${ms}#${id}`;
}

export function isRangeKey(value: unknown): value is string {
  return typeof value === "string" && RANGE_KEY.test(value);
}

/** The UTC day of an instant, `YYYY-MM-DD`: the `by_day` index hash. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function auditToItem(e: AuditEvent, retentionS: number): Item {
  const item: Item = {
    tenant: s(e.tenant ?? UNKNOWN_TENANT),
    at: s(rangeKey(e.atMs, e.id)),
    day: s(dayOf(e.atMs)),
    svc: s(e.service),
    m: s(e.method),
    ro: { BOOL: e.readOnly },
    code: s(e.code),
    cid: s(e.correlationId),
    [AUDIT_TTL_ATTRIBUTE]: n(Math.ceil(e.atMs / 1000) + retentionS),
  };
  if (e.subject !== undefined) item.sub = s(e.subject);
  if (e.role !== undefined) item.role = s(e.role);
  if (e.adminTenant !== undefined) item.adm = s(e.adminTenant);
  if (e.resourceIds.length > 0) item.ids = { L: e.resourceIds.map(s) };
  return item;
}

export function itemToAudit(item: Item): AuditEvent {
  const [, ms, id] = RANGE_KEY.exec(str(item, "at") ?? "") ?? [];
  const tenant = str(item, "tenant");
  const role = str(item, "role");
  const event: AuditEvent = {
    id: id ?? "",
    atMs: Number(ms ?? 0),
    service: str(item, "svc") ?? "",
    method: str(item, "m") ?? "",
    resourceIds: (item.ids?.L ?? []).map((v) => v.S ?? ""),
    readOnly: item.ro?.BOOL ?? false,
    code: str(item, "code") ?? "",
    correlationId: str(item, "cid") ?? "",
  };
  if (tenant !== undefined && tenant !== UNKNOWN_TENANT) event.tenant = tenant;
  if (item.sub) event.subject = str(item, "sub")!;
  if (role !== undefined && (ROLES as readonly string[]).includes(role)) event.role = role as Role;
  if (item.adm) event.adminTenant = str(item, "adm")!;
  return event;
}
