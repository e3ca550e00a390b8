/**
 * Checks one JWT with jose: signature against the JWKS, `iss` and `aud`
 * equal to the configured values, `exp` present, `exp` and `nbf` within a
 * minute of leeway, and only asymmetric algorithms. The answer is the claims
 * or a short reason that never repeats the token.
 */

import { type CryptoKey, type JWTPayload, type JWTVerifyOptions, jwtVerify } from "jose";
import type { Clock } from "../core/clock.js";
import { type JwksSource, KeysUnavailableError } from "./jwks-source.js";

/**
 * RS256, ES256 and EdDSA only: never `none`, and never an HMAC algorithm,
 * which would let a client sign with the public key as the shared secret.
 */
export const ACCEPTED_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;

/** How far `exp` and `nbf` may be off the server's clock. */
export const CLOCK_LEEWAY_S = 60;

export type TokenCheck =
  | { ok: true; claims: JWTPayload }
  | { ok: false; kind: "unauthenticated" | "unavailable"; reason: string };

export interface TokenVerifier {
  verify(token: string): Promise<TokenCheck>;
}

export interface TokenVerifierOptions {
  keys: JwksSource;
  issuer: string;
  audience: string;
  clock: Clock;
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const options = (): JWTVerifyOptions => ({
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms: [...ACCEPTED_ALGORITHMS],
    clockTolerance: CLOCK_LEEWAY_S,
    requiredClaims: ["exp"],
    currentDate: new Date(opts.clock.now()),
  });
  return {
    async verify(token) {
      try {
        const { payload } = await verifyWithKeys(token, opts.keys, options());
        return { ok: true, claims: payload };
      } catch (err) {
        if (err instanceof KeysUnavailableError) {
          return {
            ok: false,
            kind: "unavailable",
            reason: "signing keys unavailable, retry later",
          };
        }
        return { ok: false, kind: "unauthenticated", reason: reasonOf(err) };
      }
    },
  };
}

/**
 * jose hands back every candidate when a token without `kid` matches several
 * keys (two keys of one type during a rotation): try each, as its docs say.
 */
async function verifyWithKeys(token: string, keys: JwksSource, options: JWTVerifyOptions) {
  try {
    return await jwtVerify(token, keys.key, options);
  } catch (err) {
    if (!isCode(err, "ERR_JWKS_MULTIPLE_MATCHING_KEYS")) throw err;
    const candidates = err as unknown as AsyncIterable<CryptoKey>;
    for await (const key of candidates) {
      try {
        return await jwtVerify(token, key, options);
      } catch (inner) {
        if (!isCode(inner, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED")) throw inner;
      }
    }
    throw Object.assign(new Error("no key verified the signature"), {
      code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    });
  }
}

function isCode(err: unknown, code: string): boolean {
  return (err as { code?: unknown })?.code === code;
}

/** jose's error (its `code`, and `claim` for claim checks) as the reason a client sees. */
export function reasonOf(err: unknown): string {
  const { code, claim } = (err ?? {}) as { code?: unknown; claim?: unknown };
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "token expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (claim === "nbf") return "token not yet valid";
      if (claim === "iss") return "issuer not accepted";
      if (claim === "aud") return "audience not accepted";
      if (claim === "exp") return "token has no expiry";
      return "malformed token";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "signature invalid";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "algorithm not accepted";
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "unknown signing key";
    default:
      // ERR_JWS_INVALID, ERR_JWT_INVALID, bad base64 or JSON, and anything unforeseen.
      return "malformed token";
  }
}
