/**
 * How items carry their tenant. Every item written since tenancy has a
 * `tenant` attribute; an item written before has none and belongs to the
 * `default` tenant, so upgrading needs no backfill: reads take an absent
 * attribute as `default`, and filters for `default` accept it.
 *
 * Keys that must be unique per tenant (calendar names, idempotency records,
 * the dead index's hash) keep their old form for `default` and get a tenant
 * part for every other tenant, so legacy items stay where `default` looks.
 */

import { DEFAULT_TENANT } from "../../core/caller.js";
import { ALL_TENANTS, inScope, type TenantScope } from "../../core/tenant.js";
import { type Item, s, str } from "./job-item.js";

export const TENANT_ATTR = "tenant";

/** The attribute to write on a new item. */
export function tenantItem(tenant: string): Item {
  return { [TENANT_ATTR]: s(tenant) };
}

/** Whether a read item is visible in `scope` (absent attribute: `default`). */
export function visible(item: Item | undefined, scope: TenantScope): item is Item {
  return item !== undefined && inScope(scope, str(item, TENANT_ATTR));
}

/**
 * A filter or condition clause that holds for the items of `tenant`, with
 * `#tenant` and `:tenant` added to `names` and `values`. For `default` it
 * also holds for items without the attribute (written before tenancy).
 */
export function tenantClause(tenant: string, names: Record<string, string>, values: Item): string {
  names["#tenant"] = TENANT_ATTR;
  values[":tenant"] = s(tenant);
  return tenant === DEFAULT_TENANT
    ? "(#tenant = :tenant OR attribute_not_exists(#tenant))"
    : "#tenant = :tenant";
}

/** `tenantClause` for a scope; undefined (no clause) for ALL_TENANTS. */
export function scopeClause(
  scope: TenantScope,
  names: Record<string, string>,
  values: Item,
): string | undefined {
  return scope === ALL_TENANTS ? undefined : tenantClause(scope, names, values);
}

/**
 * A key that is unique per tenant: `key` itself for `default` (where items
 * written before tenancy are), `<tenant>/<key>` otherwise. `key` must not
 * contain "/", so that the last "/" splits it back (`keyInTenant`).
 */
export function tenantKey(tenant: string, key: string): string {
  return tenant === DEFAULT_TENANT ? key : `${tenant}/${key}`;
}

/** The part of a `tenantKey` after the tenant. */
export function keyInTenant(stored: string): string {
  return stored.slice(stored.lastIndexOf("/") + 1);
}
