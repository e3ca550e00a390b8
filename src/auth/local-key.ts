/**
 * A signing key kept in a folder, for a stack without an identity provider
 * (`npm run dev`, tests): `signing-key.json` holds the private JWK (mode
 * 0600), `jwks.json` the public JWKS the API reads (CHRONORING_AUTH_JWKS).
 */

import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from "jose";
import type { SigningKey } from "./mint.js";
import { ACCEPTED_ALGORITHMS } from "./verify-token.js";

export const SIGNING_KEY_FILE = "signing-key.json";
export const JWKS_FILE = "jwks.json";

/** The `iss` and `aud` of tokens minted with a local key (the dev stack's settings). */
export const LOCAL_ISSUER = "chronoring-local";
export const LOCAL_AUDIENCE = "chronoring";

/** A new key pair (EdDSA by default) and its public JWK, named by its thumbprint. */
export async function generateSigningKey(
  alg: SigningKey["alg"] = "EdDSA",
): Promise<{ key: SigningKey; privateJwk: JWK; publicJwk: JWK }> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const bare = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(bare);
  const publicJwk: JWK = { ...bare, kid, alg, use: "sig" };
  const privateJwk: JWK = { ...(await exportJWK(pair.privateKey)), kid, alg };
  return { key: { kid, alg, privateKey: pair.privateKey }, privateJwk, publicJwk };
}

/** Reads a private JWK file written by `ensureLocalKey` (or any private JWK with `kid` and `alg`). */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    throw new Error(`no signing key at ${path} (npm run dev makes one; or name one with --key)`);
  }
  const jwk = JSON.parse(text) as JWK;
  const { kid, alg } = jwk;
  if (typeof kid !== "string" || !isAccepted(alg)) {
    throw new Error(`${path}: not a private JWK with kid and alg EdDSA, ES256 or RS256`);
  }
  if (jwk.d === undefined) throw new Error(`${path}: holds no private key`);
  const privateKey = await importJWK(jwk, alg);
  if (privateKey instanceof Uint8Array) throw new Error(`${path}: not an asymmetric key`);
  return { kid, alg, privateKey };
}

/**
 * The folder's key, made on first use; also (re)writes its public JWKS.
 * Returns the key and the JWKS path.
 */
export async function ensureLocalKey(dir: string): Promise<{ key: SigningKey; jwksPath: string }> {
  await mkdir(dir, { recursive: true });
  const keyPath = join(dir, SIGNING_KEY_FILE);
  const jwksPath = join(dir, JWKS_FILE);
  if (!existsSync(keyPath)) {
    const made = await generateSigningKey();
    await writeFile(keyPath, `${JSON.stringify(made.privateJwk)}\n`, { mode: 0o600 });
    await chmod(keyPath, 0o600);
  }
  const key = await loadSigningKey(keyPath);
  const jwk = JSON.parse(await readFile(keyPath, "utf8")) as JWK;
  const jwks: JSONWebKeySet = { keys: [{ ...publicPartOf(jwk), use: "sig" }] };
  await writeFile(jwksPath, `${JSON.stringify(jwks, null, 2)}\n`);
  return { key, jwksPath };
}

/** The private members of EC, OKP and RSA JWKs (RFC 7518 §6). */
const PRIVATE_MEMBERS = new Set(["d", "p", "q", "dp", "dq", "qi", "oth", "k"]);

function publicPartOf(jwk: JWK): JWK {
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.has(name)));
}

function isAccepted(alg: unknown): alg is SigningKey["alg"] {
  return (ACCEPTED_ALGORITHMS as readonly unknown[]).includes(alg);
}
