/**
 * A job's external key: the caller's own name for it, unique among its
 * tenant's jobs that are not CANCELLED (the store enforces that with a
 * conditional write on a key record, so racing creates cannot both win;
 * cancelling frees it). ApplyJobs finds jobs by it, within a namespace.
 */

import { ChronoringError, invalidArgument } from "./errors.js";

export const EXTERNAL_KEY_MAX = 128;
export const APPLY_NAMESPACE_MAX = 64;
/** Letters, digits and `_ . : / -`: safe in paths, file names and store keys. */
const KEY_CHARS = /^[A-Za-z0-9_.:/-]*$/;

function checkKeyText(value: string, field: string, max: number): void {
  if (value.length === 0) throw invalidArgument(field, "required");
  if (value.length > max) {
    throw invalidArgument(field, `at most ${max} characters (got ${value.length})`);
  }
  if (!KEY_CHARS.test(value)) {
    throw invalidArgument(field, "only letters, digits and _ . : / - are allowed");
  }
}

export function validateExternalKey(key: string, field = "external_key"): void {
  checkKeyText(key, field, EXTERNAL_KEY_MAX);
}

export function validateApplyNamespace(namespace: string, field = "namespace"): void {
  checkKeyText(namespace, field, APPLY_NAMESPACE_MAX);
}

/** The already_exists of a key another live job of the tenant holds. */
export function externalKeyTaken(key: string, jobId?: string): ChronoringError {
  const holder = jobId === undefined ? "another job" : `job ${jobId}`;
  return new ChronoringError(
    "already_exists",
    `external_key: "${key}" is already held by ${holder}`,
    { field: "external_key" },
  );
}
