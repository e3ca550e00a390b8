import { ConfigError, envName } from "./settings.js";

/** How callers of the API (and, optionally, of /metrics) prove who they are. */
export interface AuthConfig {
  /** `jwt`: every RPC needs a bearer token; `off`: every call is an admin of tenant `default`. */
  mode: "jwt" | "off";
  /** Where the token signing keys are: a JWKS file path or an https URL ("" when not needed). */
  jwks: string;
  /** The `iss` every token must carry. */
  issuer: string;
  /** The `aud` every token must carry (or hold, when an array). */
  audience: string;
  /** The claim that names the caller's tenant. */
  tenantClaim: string;
  /** The claim that holds the caller's roles, an array of strings. */
  rolesClaim: string;
  /** `/metrics` needs a token too (any known role); off by default for scrapers on a private network. */
  metrics: boolean;
}

type Values = Map<string, string | number | boolean | string[]>;

/**
 * The auth section of the config. The JWKS, issuer and audience are required
 * only where tokens are checked: in a process that serves the API, or one whose
 * bare /metrics listener is put behind auth. A scheduler or worker needs none.
 */
export function authConfig(v: Values, serves: { api: boolean; bareMetrics: boolean }): AuthConfig {
  const str = (k: string) => (v.get(k) as string).trim();
  const auth: AuthConfig = {
    mode: str("auth-mode") as AuthConfig["mode"],
    jwks: str("auth-jwks"),
    issuer: str("auth-issuer"),
    audience: str("auth-audience"),
    tenantClaim: str("auth-tenant-claim"),
    rolesClaim: str("auth-roles-claim"),
    metrics: v.get("metrics-auth") as boolean,
  };
  if (auth.mode === "off") {
    if (auth.metrics) {
      throw new ConfigError(
        `${envName("metrics-auth")}: needs ${envName("auth-mode")}=jwt (there are no tokens to check)`,
      );
    }
    return auth;
  }
  const checksTokens = serves.api || (serves.bareMetrics && auth.metrics);
  if (!checksTokens) return auth;
  const required = (key: string, what: string) => {
    if (str(key) === "") {
      throw new ConfigError(
        `${envName(key)}: required with ${envName("auth-mode")}=jwt (${what}); ` +
          `or set ${envName("auth-mode")}=off to run without authentication`,
      );
    }
  };
  required("auth-jwks", "a JWKS file path or https URL holding the token signing keys");
  required("auth-issuer", "the iss every token must carry");
  required("auth-audience", "the aud every token must carry");
  required("auth-tenant-claim", "the claim naming the tenant");
  required("auth-roles-claim", "the claim holding the roles");
  jwksLocation(auth.jwks);
  return auth;
}

/** A JWKS location is an https URL or a file path; plain http would let anyone on the path swap the keys. */
function jwksLocation(raw: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) return; // a file path
  let ok = scheme === "https";
  if (ok) {
    try {
      ok = new URL(raw).hostname !== "";
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new ConfigError(
      `${envName("auth-jwks")}: "${raw}" is neither a file path nor an https:// URL`,
    );
  }
}
