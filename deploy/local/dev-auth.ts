import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureLocalKey, LOCAL_AUDIENCE, LOCAL_ISSUER } from "../../src/auth/local-key.js";
import { mintToken } from "../../src/auth/mint.js";
import { DEFAULT_TENANT } from "../../src/core/caller.js";

export interface DevAuth {
  /** CHRONORING_AUTH_* settings for the processes (empty: theirs come from the environment). */
  env: Record<string, string>;
  /** A token the dev stack calls the API with; undefined when it has none. */
  token?: string;
  /** Auth is off: calls need no token. */
  off?: boolean;
  /** Lines to print. */
  notes: string[];
}

const ADMIN_TTL_S = 24 * 3600;

/**
 * Auth for `npm run dev`. With CHRONORING_AUTH_MODE=off, none. With
 * CHRONORING_AUTH_JWKS (and the other CHRONORING_AUTH_* settings) in the
 * environment, those, and the token in CHRONORING_DEV_TOKEN if any. Otherwise
 * a local EdDSA key in `<dataDir>/auth` (made once, kept across restarts),
 * its JWKS file for the API, and an admin token of tenant `default`, also
 * written to `<dataDir>/auth/admin.token`.
 */
export async function devAuth(dataDir: string, environment = process.env): Promise<DevAuth> {
  if (environment.CHRONORING_AUTH_MODE === "off") {
    return {
      env: {},
      off: true,
      notes: ["auth is off (CHRONORING_AUTH_MODE=off): no token needed"],
    };
  }
  if (environment.CHRONORING_AUTH_JWKS) {
    const token = environment.CHRONORING_DEV_TOKEN || undefined;
    return {
      env: {},
      ...(token ? { token } : {}),
      notes: [
        `auth: the CHRONORING_AUTH_* settings from the environment (JWKS ${environment.CHRONORING_AUTH_JWKS})`,
        token
          ? "calling the API with CHRONORING_DEV_TOKEN"
          : "set CHRONORING_DEV_TOKEN to an editor token of that issuer to create the demo job",
      ],
    };
  }
  const dir = join(dataDir, "auth");
  const { key, jwksPath } = await ensureLocalKey(dir);
  const token = await mintToken({
    key,
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    tenant: DEFAULT_TENANT,
    roles: ["admin"],
    subject: "dev-admin",
    ttlS: ADMIN_TTL_S,
  });
  const tokenFile = join(dir, "admin.token");
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return {
    env: {
      CHRONORING_AUTH_MODE: "jwt",
      CHRONORING_AUTH_JWKS: jwksPath,
      CHRONORING_AUTH_ISSUER: LOCAL_ISSUER,
      CHRONORING_AUTH_AUDIENCE: LOCAL_AUDIENCE,
    },
    token,
    notes: [
      `auth: local signing key in ${dir} (JWKS ${jwksPath})`,
      `admin token (tenant ${DEFAULT_TENANT}, 24 h, also in ${tokenFile}):`,
      token,
      `  export TOKEN=$(cat ${tokenFile})`,
      '  npx buf curl -H "authorization: Bearer $TOKEN" ...; more tokens: npm run -s token -- --tenant T --roles editor',
    ],
  };
}
