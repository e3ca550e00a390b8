import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLocalKey, LOCAL_AUDIENCE, LOCAL_ISSUER } from "../../src/auth/local-key.js";
import { mintToken } from "../../src/auth/mint.js";

/** Auth on, as a user runs it, with a key of the benchmark's own (the dev stack's tooling). */
export interface LocalAuth {
  /** CHRONORING_AUTH_* settings that make the API accept the tokens minted here. */
  settings: Record<string, string>;
  /** A token of `tenant` with `roles`, valid for a day. */
  mint(tenant: string, roles: string[]): Promise<string>;
}

/**
 * A local EdDSA key in a fresh folder and its JWKS for the API: tenants come
 * from tokens, so a benchmark of tenants calls with one token per tenant
 * rather than turning auth off.
 */
export async function localAuth(): Promise<LocalAuth> {
  const { key, jwksPath } = await ensureLocalKey(mkdtempSync(join(tmpdir(), "chronoring-auth-")));
  return {
    settings: {
      CHRONORING_AUTH_JWKS: jwksPath,
      CHRONORING_AUTH_ISSUER: LOCAL_ISSUER,
      CHRONORING_AUTH_AUDIENCE: LOCAL_AUDIENCE,
    },
    mint: (tenant, roles) =>
      mintToken({
        key,
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        tenant,
        roles,
        subject: `bench-${tenant}`,
        ttlS: 24 * 3600,
      }),
  };
}
