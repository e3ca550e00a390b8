/**
 * `chronoring token`: mints a token with a signing key we hold (the dev
 * stack's `.data/auth/signing-key.json` by default). Production tokens come
 * from the identity provider; see docs/security.md.
 */

import { userInfo } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { TENANT_PATTERN } from "../auth/authenticate.js";
import {
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  loadSigningKey,
  SIGNING_KEY_FILE,
} from "../auth/local-key.js";
import { mintToken, parseTtl } from "../auth/mint.js";
import { ROLES } from "../core/caller.js";
import { emit, type OutputOptions } from "./output.js";

const tenantName = (value: string) => {
  if (!TENANT_PATTERN.test(value)) {
    throw new InvalidArgumentError(`not a tenant name (${TENANT_PATTERN.source})`);
  }
  return value;
};

const roleList = (value: string) => {
  const roles = value.split(",").map((r) => r.trim());
  const bad = roles.find((r) => !(ROLES as readonly string[]).includes(r));
  if (bad !== undefined)
    throw new InvalidArgumentError(`"${bad}" is not one of ${ROLES.join(", ")}`);
  return roles;
};

const ttl = (value: string) => {
  const seconds = parseTtl(value);
  if (seconds === undefined)
    throw new InvalidArgumentError("a duration such as 90s, 15m, 1h or 7d");
  return seconds;
};

export function tokenCommand(): Command {
  return new Command("token")
    .description("mint a token signed with a local key (dev stack, tests)")
    .requiredOption("--tenant <tenant>", "the tenant the token acts on", tenantName)
    .requiredOption("--roles <roles>", `comma-separated roles: ${ROLES.join(", ")}`, roleList)
    .option("--ttl <duration>", "lifetime: 90s, 15m, 1h, 7d", ttl, 3600)
    .option("--sub <name>", "subject: who the token stands for", `cli:${userInfo().username}`)
    .option("--key <file>", "private JWK to sign with", join(".data", "auth", SIGNING_KEY_FILE))
    .option("--issuer <iss>", "iss claim (CHRONORING_AUTH_ISSUER)", LOCAL_ISSUER)
    .option("--audience <aud>", "aud claim (CHRONORING_AUTH_AUDIENCE)", LOCAL_AUDIENCE)
    .option("--tenant-claim <name>", "claim naming the tenant", "tenant")
    .option("--roles-claim <name>", "claim holding the roles", "roles")
    .action(async (_: unknown, command: Command) => {
      // --json is global: the token and its claims as one JSON document.
      const o = command.optsWithGlobals<TokenOptions & OutputOptions>();
      const key = await loadSigningKey(o.key);
      const nowMs = Date.now();
      const token = await mintToken({
        key,
        issuer: o.issuer,
        audience: o.audience,
        tenant: o.tenant,
        roles: o.roles,
        subject: o.sub,
        ttlS: o.ttl,
        nowMs,
        tenantClaim: o.tenantClaim,
        rolesClaim: o.rolesClaim,
      });
      const expires = new Date(nowMs + o.ttl * 1000).toISOString();
      emit(o, { token, tenant: o.tenant, roles: o.roles, sub: o.sub, expires }, () => token);
    });
}

interface TokenOptions {
  tenant: string;
  roles: string[];
  ttl: number;
  sub: string;
  key: string;
  issuer: string;
  audience: string;
  tenantClaim: string;
  rolesClaim: string;
}
