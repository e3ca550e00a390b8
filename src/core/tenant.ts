/**
 * Tenant scope of store reads. Every read a caller makes names the caller's
 * tenant; a store that finds another tenant's item answers as if there were
 * none (not_found), so that existence does not leak. Only the roles that act
 * for every tenant (the scheduler, the worker, the recovery sweep, the
 * leader's failover) read across tenants, and they say so with ALL_TENANTS.
 */

import { DEFAULT_TENANT } from "./caller.js";

/** The scope of a system read that serves every tenant (never a caller's). */
export const ALL_TENANTS: unique symbol = Symbol("all tenants");

/** Whose items a read may see: one tenant, or every tenant (system roles only). */
export type TenantScope = string | typeof ALL_TENANTS;

/** The tenant of an item as stored: an item written before tenancy has none and is `default`'s. */
export function tenantOrDefault(stored: string | undefined): string {
  return stored ?? DEFAULT_TENANT;
}

/** Whether an item of tenant `stored` (absent: written before tenancy) is visible in `scope`. */
export function inScope(scope: TenantScope, stored: string | undefined): boolean {
  return scope === ALL_TENANTS || tenantOrDefault(stored) === scope;
}
