/**
 * HMAC-SHA256 signatures of outbound webhook bodies (the `webhook` job type and
 * webhook notifications), in the scheme Stripe and others use:
 *
 *   Chronoring-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * The timestamp is inside the signed text, so a receiver that rejects a `t`
 * older than its tolerance (5 min by default) also rejects a replayed request;
 * within the tolerance it deduplicates on `Chronoring-Execution-Id`. Pure.
 */

import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "Chronoring-Signature";
/** How old a signature `verifySignature` accepts by default. */
export const DEFAULT_TOLERANCE_S = 300;

function hmac(secret: string, timestampS: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestampS}.${body}`).digest("hex");
}

/** The header value for `body` signed at `timestampS` (unix seconds). */
export function signBody(secret: string, body: string, timestampS: number): string {
  return `t=${timestampS},v1=${hmac(secret, timestampS, body)}`;
}

export type Verification =
  | { ok: true; timestampS: number }
  | { ok: false; reason: "malformed" | "stale" | "mismatch" };

/**
 * Checks a `Chronoring-Signature` header against the raw body: the HMAC must
 * match (constant-time compare, any of several `v1` values during a secret
 * rotation) and `t` must be within `toleranceS` of `nowS`.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  nowS: number,
  toleranceS = DEFAULT_TOLERANCE_S,
): Verification {
  if (!header) return { ok: false, reason: "malformed" };
  let timestampS: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestampS = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestampS === undefined || candidates.length === 0)
    return { ok: false, reason: "malformed" };
  if (Math.abs(nowS - timestampS) > toleranceS) return { ok: false, reason: "stale" };
  const expected = Buffer.from(hmac(secret, timestampS, body), "hex");
  const match = candidates.some((c) => timingSafeEqual(Buffer.from(c, "hex"), expected));
  return match ? { ok: true, timestampS } : { ok: false, reason: "mismatch" };
}
