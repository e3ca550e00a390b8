/**
 * From a request's headers to the Caller: the bearer token is checked
 * (`verify-token.ts`), its tenant and roles claims read, and an admin's
 * `chronoring-tenant` header applied. Every front end calls this one
 * function: the Connect interceptor, `/metrics`, and plain-HTTP routes.
 */

import type { IncomingHttpHeaders } from "node:http";
import type { JWTPayload } from "jose";
import { type Caller, highestRole, type Identity, TENANT_PATTERN } from "../core/caller.js";
import { type AuthRefusal, MISSING_TOKEN } from "./refusal.js";
import type { TokenVerifier } from "./verify-token.js";

/** What a tenant name may be (defined in core, where quotas check it too). */
export { TENANT_PATTERN } from "../core/caller.js";

/** Names the tenant an admin acts on instead of the token's own. */
export const TENANT_HEADER = "chronoring-tenant";

/** Longer than any sane JWT; refused before it is parsed. */
const MAX_TOKEN_CHARS = 16 * 1024;
/** RFC 6750 b64token, as JWTs use it (three base64url parts). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * A refusal carries what was learnt of the caller when its token checked out
 * (for the audit trail); none when the token itself was refused.
 */
export type AuthResult =
  | { ok: true; caller: Caller }
  | { ok: false; refusal: AuthRefusal; identity?: Identity };

/**
 * The headers of a request (Fetch `Headers`, or Node's `req.headers`), or the
 * `authorization` value alone (then no tenant header applies).
 */
export type Credentials = Headers | IncomingHttpHeaders | string | undefined;

export interface Authenticator {
  authenticate(credentials: Credentials): Promise<AuthResult>;
}

export interface AuthenticatorOptions {
  verifier: TokenVerifier;
  /** Claim naming the tenant (default `tenant`). */
  tenantClaim?: string;
  /** Claim holding the roles, an array of strings (default `roles`). */
  rolesClaim?: string;
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const tenantClaim = opts.tenantClaim ?? "tenant";
  const rolesClaim = opts.rolesClaim ?? "roles";
  const refuse = (kind: AuthRefusal["kind"], reason: string, identity?: Identity): AuthResult => ({
    ok: false,
    refusal: { kind, reason } as AuthRefusal,
    ...(identity ? { identity } : {}),
  });

  return {
    async authenticate(credentials) {
      const authorization = headerOf(credentials, "authorization");
      if (authorization === undefined || authorization.trim() === "") {
        return refuse("unauthenticated", MISSING_TOKEN);
      }
      const token =
        authorization.length <= MAX_TOKEN_CHARS ? BEARER.exec(authorization)?.[1] : undefined;
      if (token === undefined) return refuse("unauthenticated", "malformed token");

      const checked = await opts.verifier.verify(token);
      if (!checked.ok) return refuse(checked.kind, checked.reason);
      const claims = checked.claims;

      const tenant = claims[tenantClaim];
      if (typeof tenant !== "string" || !TENANT_PATTERN.test(tenant)) {
        return refuse("unauthenticated", "token has no tenant");
      }
      const subject = subjectOf(claims);
      const role = highestRole(stringsOf(claims[rolesClaim]));
      if (role === undefined) {
        return refuse(
          "permission_denied",
          `token holds no known role in its "${rolesClaim}" claim`,
          { subject, tenant },
        );
      }
      const caller: Caller = { subject, tenant, role };

      if (typeof credentials !== "object") return { ok: true, caller };
      const named = headerOf(credentials, TENANT_HEADER);
      if (named === undefined) return { ok: true, caller };
      if (role !== "admin") {
        return refuse(
          "permission_denied",
          `acting on another tenant (${TENANT_HEADER}) needs role admin`,
          caller,
        );
      }
      if (!TENANT_PATTERN.test(named)) {
        return refuse(
          "invalid_argument",
          `${TENANT_HEADER}: not a tenant name (${TENANT_PATTERN.source})`,
          caller,
        );
      }
      if (named === tenant) return { ok: true, caller };
      return { ok: true, caller: { ...caller, tenant: named, actingAs: { ownTenant: tenant } } };
    },
  };
}

function headerOf(credentials: Credentials, name: string): string | undefined {
  if (credentials === undefined) return undefined;
  if (typeof credentials === "string") return name === "authorization" ? credentials : undefined;
  if (credentials instanceof Headers) return credentials.get(name) ?? undefined;
  const value = credentials[name];
  // A header sent twice is ambiguous; Node joins most into one string, an array means repeated.
  return Array.isArray(value) ? undefined : value;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function subjectOf(claims: JWTPayload): string {
  return typeof claims.sub === "string" && claims.sub !== "" ? claims.sub.slice(0, 256) : "unknown";
}
