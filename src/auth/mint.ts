/**
 * Minting tokens with a key we hold: the dev stack's local key, tests, and the
 * `token` command. Production tokens come from an identity provider; these are
 * the same shape (see docs/security.md, "Minting tokens").
 */

import { type CryptoKey, SignJWT } from "jose";
import type { ACCEPTED_ALGORITHMS } from "./verify-token.js";

export interface SigningKey {
  /** Published with the public key in the JWKS; tokens name it in their header. */
  kid: string;
  alg: (typeof ACCEPTED_ALGORITHMS)[number];
  privateKey: CryptoKey;
}

export interface MintOptions {
  key: SigningKey;
  issuer: string;
  audience: string;
  tenant: string;
  roles: string[];
  /** `sub`: who the token stands for. */
  subject: string;
  /** Lifetime in seconds. */
  ttlS: number;
  /** Issue time, epoch ms (default now). */
  nowMs?: number;
  /** Claim names, as configured on the server (defaults `tenant`, `roles`). */
  tenantClaim?: string;
  rolesClaim?: string;
}

export async function mintToken(o: MintOptions): Promise<string> {
  const iat = Math.floor((o.nowMs ?? Date.now()) / 1000);
  return new SignJWT({ [o.tenantClaim ?? "tenant"]: o.tenant, [o.rolesClaim ?? "roles"]: o.roles })
    .setProtectedHeader({ alg: o.key.alg, kid: o.key.kid, typ: "JWT" })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + o.ttlS)
    .sign(o.key.privateKey);
}

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `15m`, `1h`, `7d` → seconds; undefined when it is none of those. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!m) return undefined;
  const s = Number(m[1]) * UNIT_S[m[2]!]!;
  return s > 0 ? s : undefined;
}
