/**
 * Who is calling: the identity an authenticated request carries into core.
 * Roles are ordered, each including the ones before it; a tenant scopes
 * every read and write (tenants never see each other's data).
 */

export const ROLES = ["viewer", "operator", "editor", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** What a tenant name may be: short, lower case, safe in keys, logs and URLs. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The tenant of every item written before tenancy, and the only one with auth off. */
export const DEFAULT_TENANT = "default";

export interface Caller {
  /** The token's `sub`; "anonymous" with auth off. */
  subject: string;
  /** The tenant whose data this call reads and writes. */
  tenant: string;
  /** The highest role the caller holds. */
  role: Role;
  /**
   * Set when an admin acts on a tenant named in the request rather than the
   * token's own (such calls are audited).
   */
  actingAs?: { ownTenant: string };
}

/**
 * What is known of a caller whose token checked out, even when the call is
 * then refused (no known role, a role too low, a tenant header it may not
 * send): what the audit trail records of it.
 */
export type Identity = Omit<Caller, "role"> & { role?: Role };

/** The caller of every request when auth is off: one tenant, every right. */
export const ANONYMOUS_ADMIN: Caller = {
  subject: "anonymous",
  tenant: DEFAULT_TENANT,
  role: "admin",
};

/** Whether `held` includes `needed` (admin ⊇ editor ⊇ operator ⊇ viewer). */
export function roleIncludes(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** The highest known role among `names`; undefined when none is a role. */
export function highestRole(names: readonly string[]): Role | undefined {
  let best: Role | undefined;
  for (const name of names) {
    if (!(ROLES as readonly string[]).includes(name)) continue;
    const role = name as Role;
    if (best === undefined || roleIncludes(role, best)) best = role;
  }
  return best;
}
