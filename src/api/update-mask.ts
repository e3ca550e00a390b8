/**
 * `update_mask` of the Update RPCs: the paths named, checked against the
 * fields the RPC may change. `*` alone names all of them (AIP-134: a full
 * replacement, which REST's PUT sends).
 */

import { invalidArgument } from "../core/errors.js";

export const FULL_REPLACEMENT = "*";

export function maskPaths<P extends string>(
  paths: readonly string[] | undefined,
  allowed: readonly P[],
): P[] {
  if (paths === undefined || paths.length === 0) {
    throw invalidArgument(
      "update_mask",
      `required: name the fields to change (${allowed}), or ${FULL_REPLACEMENT} for all`,
    );
  }
  if (paths.includes(FULL_REPLACEMENT)) {
    if (paths.length > 1) {
      throw invalidArgument("update_mask", `${FULL_REPLACEMENT} stands alone`);
    }
    return [...allowed];
  }
  const out = new Set<P>();
  for (const path of paths) {
    if (!(allowed as readonly string[]).includes(path)) {
      throw invalidArgument(
        "update_mask",
        `unknown path "${path}"; allowed: ${allowed.join(", ")}, or ${FULL_REPLACEMENT}`,
      );
    }
    out.add(path as P);
  }
  return [...out];
}
