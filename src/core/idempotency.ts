/**
 * Idempotency keys of CreateJob. A key is scoped to the job's tenant and owner and kept
 * IDEMPOTENCY_TTL_MS: within that time the same key with the same request
 * returns the job created first; with a different request it is refused
 * (already_exists naming `idempotency_key`). Afterwards the key may be reused.
 */

import { createHash } from "node:crypto";
import { ChronoringError, invalidArgument } from "./errors.js";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** What the store keeps under an owner's key, in the same transaction as the job. */
export interface IdempotencyRecord {
  /** Keys are scoped to the tenant, then to the owner. */
  tenant: string;
  owner: string;
  key: string;
  /** `requestHash` of the request that first used the key. */
  requestHash: string;
  /** After this the record counts as absent (the key may be reused). */
  expiresMs: number;
}

export function validateIdempotencyKey(key: string, field = "idempotency_key"): void {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw invalidArgument(field, "1 to 128 characters of [A-Za-z0-9_.:-]");
  }
}

/** JSON with object keys sorted at every level, so that equal requests hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** SHA-256 (hex) of the canonical form of a request (the key itself excluded). */
export function requestHash(request: object): string {
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}

/** The already_exists of a key used before with a different request, live until `untilMs`. */
export function keyInUse(key: string, untilMs: number): ChronoringError {
  return new ChronoringError(
    "already_exists",
    `idempotency_key: "${key}" was used with a different request (until ${new Date(
      untilMs,
    ).toISOString()})`,
    { field: "idempotency_key" },
  );
}
