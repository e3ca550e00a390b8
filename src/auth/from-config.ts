import type { Logger } from "pino";
import type { AuthConfig } from "../config/auth-config.js";
import { ConfigError, envName } from "../config/settings.js";
import type { Clock } from "../core/clock.js";
import { type Authenticator, createAuthenticator } from "./authenticate.js";
import { createJwksSource, type JwksFetch } from "./jwks-source.js";
import { createTokenVerifier } from "./verify-token.js";

export interface AuthDeps {
  clock: Clock;
  logger: Logger;
  /** For tests: the fetch of an https JWKS. */
  fetch?: JwksFetch;
}

/**
 * The authenticator of a process that checks tokens, with its keys loaded:
 * a JWKS file that cannot be read stops the start with a message naming
 * CHRONORING_AUTH_JWKS; an https JWKS that does not answer yet is only
 * logged (the identity provider may come up later; calls get Unavailable
 * until it does). Undefined when auth is off.
 */
export async function startAuth(
  config: AuthConfig,
  deps: AuthDeps,
): Promise<Authenticator | undefined> {
  const log = deps.logger.child({ component: "auth" });
  if (config.mode === "off") {
    log.warn("auth is off: every caller acts as admin of tenant default");
    return undefined;
  }
  const keys = createJwksSource({
    location: config.jwks,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  try {
    await keys.load();
  } catch (err) {
    if (!/^https:\/\//i.test(config.jwks)) {
      throw new ConfigError(`${envName("auth-jwks")}: ${(err as Error).message}`);
    }
    log.warn({ err: (err as Error).message }, "signing keys not loaded yet; will retry");
  }
  log.info({ jwks: config.jwks, issuer: config.issuer, audience: config.audience }, "auth: jwt");
  return createAuthenticator({
    verifier: createTokenVerifier({
      keys,
      issuer: config.issuer,
      audience: config.audience,
      clock: deps.clock,
    }),
    tenantClaim: config.tenantClaim,
    rolesClaim: config.rolesClaim,
  });
}
