/**
 * Who may list which tenant's audit events, and the time range a listing
 * covers: admins every tenant (or the one they name, or act on), anyone else
 * its own tenant only; the last 24 h by default; never more than the store
 * keeps.
 */

import { describe, expect, it } from "vitest";
import { type AuditQuery, auditQueryFor, DEFAULT_AUDIT_RANGE_MS } from "../../../src/core/audit.js";
import { createAuditQueries } from "../../../src/core/audit-queries.js";
import type { Caller } from "../../../src/core/caller.js";
import { clockWithNow } from "../../../src/core/clock.js";
import { isChronoringError } from "../../../src/core/errors.js";
import { memoryAuditStore } from "../../support/audit.js";

const NOW = 1_790_000_000_000;
const viewer: Caller = { subject: "v", tenant: "acme", role: "viewer" };
const admin: Caller = { subject: "a", tenant: "ops", role: "admin" };
const acting: Caller = { ...admin, tenant: "acme", actingAs: { ownTenant: "ops" } };

function refusal(call: () => unknown): string {
  try {
    call();
    return "no error";
  } catch (err) {
    return isChronoringError(err) ? `${err.kind}: ${err.message}` : String(err);
  }
}

describe("auditQueryFor", () => {
  it("scopes a non-admin to its own tenant, and refuses another", () => {
    expect(auditQueryFor(viewer, { pageSize: 50 }, NOW).tenant).toBe("acme");
    expect(auditQueryFor(viewer, { pageSize: 50, tenant: "acme" }, NOW).tenant).toBe("acme");
    expect(refusal(() => auditQueryFor(viewer, { pageSize: 50, tenant: "bobco" }, NOW))).toBe(
      "permission_denied: tenant: only an admin may list another tenant's events",
    );
  });

  it("lets an admin list every tenant, one it names, or the one it acts on", () => {
    expect(auditQueryFor(admin, { pageSize: 50 }, NOW).tenant).toBeUndefined();
    expect(auditQueryFor(admin, { pageSize: 50, tenant: "bobco" }, NOW).tenant).toBe("bobco");
    expect(auditQueryFor(acting, { pageSize: 50 }, NOW).tenant).toBe("acme");
    expect(auditQueryFor(acting, { pageSize: 50, tenant: "bobco" }, NOW).tenant).toBe("bobco");
  });

  it("covers the 24 h before the end (now by default), and refuses an empty range", () => {
    expect(auditQueryFor(viewer, { pageSize: 50 }, NOW)).toMatchObject({
      fromMs: NOW - DEFAULT_AUDIT_RANGE_MS,
      toMs: NOW,
    });
    expect(auditQueryFor(viewer, { pageSize: 50, toMs: NOW - 1000 }, NOW)).toMatchObject({
      fromMs: NOW - 1000 - DEFAULT_AUDIT_RANGE_MS,
      toMs: NOW - 1000,
    });
    expect(
      refusal(() => auditQueryFor(viewer, { pageSize: 50, fromMs: NOW, toMs: NOW }, NOW)),
    ).toBe("invalid_argument: start_time: must be before end_time");
  });
});

describe("createAuditQueries", () => {
  it("cuts the range to the retention and to now, and skips the store when nothing is left", async () => {
    const store = memoryAuditStore();
    const seen: AuditQuery[] = [];
    store.listEvents = async (q) => {
      seen.push(q);
      return { items: [] };
    };
    const queries = createAuditQueries({
      store,
      clock: clockWithNow(() => NOW),
      retentionDays: 90,
    });
    await queries.list(admin, { pageSize: 50, fromMs: 0, toMs: NOW * 2 });
    expect(seen[0]).toMatchObject({ fromMs: NOW - 91 * 86_400_000, toMs: NOW + 60_000 });
    expect(await queries.list(admin, { pageSize: 50, fromMs: 0, toMs: 1000 })).toEqual({
      items: [],
    });
    expect(seen).toHaveLength(1);
  });
});
