#!/usr/bin/env node
/**
 * Development signing key and tokens for the compose stack, whose API runs with
 * CHRONORING_AUTH_MODE=jwt. DEVELOPMENT ONLY: the key lives in a Docker volume of
 * the local stack, never in git, and tokens it signs are good for that stack alone.
 *
 *   node dev-auth.mjs keys  [--dir D]   makes D/dev-key.jwk (private, 0600) and
 *                                       D/jwks.json (the public half, what the API
 *                                       reads) unless they exist: a restart keeps
 *                                       the key, so tokens stay valid
 *   node dev-auth.mjs token [--dir D] --sub alice [--tenant acme] [--roles admin,viewer]
 *                                     [--ttl 3600]   prints an ES256 JWT
 *
 * D defaults to $DEV_AUTH_DIR. The issuer and audience come from $DEV_AUTH_ISSUER and
 * $DEV_AUTH_AUDIENCE, which compose.yaml sets to the API's CHRONORING_AUTH_ISSUER and
 * CHRONORING_AUTH_AUDIENCE; the claim names are the API's defaults (tenant, roles).
 *
 * Node's own crypto signs (ES256 is one call): the script runs in the Chronoring image
 * as it is, from a mounted folder, with no package to install.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const b64url = (data) => Buffer.from(data).toString("base64url");

/** RFC 7638 thumbprint of an EC public key: a stable key id. */
function thumbprint(jwk) {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash("sha256").update(canonical).digest("base64url");
}

function keys(dir) {
  const keyFile = join(dir, "dev-key.jwk");
  const jwksFile = join(dir, "jwks.json");
  if (existsSync(keyFile) && existsSync(jwksFile)) {
    process.stdout.write(`dev-auth: keeping the key in ${dir}\n`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pub = publicKey.export({ format: "jwk" });
  const kid = thumbprint(pub);
  const priv = { ...privateKey.export({ format: "jwk" }), kid, alg: "ES256" };
  writeFileSync(keyFile, `${JSON.stringify(priv)}\n`, { mode: 0o600 });
  const jwks = { keys: [{ ...pub, kid, alg: "ES256", use: "sig" }] };
  writeFileSync(jwksFile, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });
  process.stdout.write(`dev-auth: new key ${kid} in ${dir}\n`);
}

function token(dir, opts) {
  if (!opts.sub) throw new Error("token: --sub is required");
  const issuer = process.env.DEV_AUTH_ISSUER;
  const audience = process.env.DEV_AUTH_AUDIENCE;
  if (!issuer || !audience) throw new Error("token: set DEV_AUTH_ISSUER and DEV_AUTH_AUDIENCE");
  const jwk = JSON.parse(readFileSync(join(dir, "dev-key.jwk"), "utf8"));
  const ttl = Number(opts.ttl ?? "3600");
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new Error("token: --ttl must be seconds > 0");
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    aud: audience,
    sub: opts.sub,
    iat: now,
    exp: now + ttl,
    ...(opts.tenant ? { tenant: opts.tenant } : {}),
    roles: (opts.roles ?? "")
      .split(",")
      .map((r) => r.trim())
      .filter(Boolean),
  };
  const header = { alg: "ES256", typ: "JWT", kid: jwk.kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const key = createPrivateKey({ key: jwk, format: "jwk" });
  // JWS wants the raw r||s signature, not DER.
  const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  process.stdout.write(`${input}.${b64url(signature)}\n`);
}

try {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      dir: { type: "string" },
      sub: { type: "string" },
      tenant: { type: "string" },
      roles: { type: "string" },
      ttl: { type: "string" },
    },
  });
  const dir = values.dir ?? process.env.DEV_AUTH_DIR;
  if (!dir) throw new Error("give --dir or set DEV_AUTH_DIR");
  const command = positionals[0];
  if (command === "keys") keys(dir);
  else if (command === "token") token(dir, values);
  else throw new Error(`unknown command "${command ?? ""}": keys or token`);
} catch (err) {
  process.stderr.write(`dev-auth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
