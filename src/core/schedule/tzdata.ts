/**
 * The time-zone rules the schedule evaluator uses come from the runtime's
 * ICU data (luxon reads zones through Intl), not from a package of ours. Its
 * version is served on every `/healthz` answer so that an operator can tell
 * which DST rules a process applies; test/unit/schedule/tzdata.test.ts pins
 * the version of the runtime the project ships (deploy/local/node.sh).
 */

/** The response header of `GET /healthz` carrying the version. */
export const TZDATA_HEADER = "chronoring-tzdata";

/** The IANA time-zone data version of this runtime's ICU, e.g. `2026e`. */
export function tzdataVersion(): string {
  return process.versions.tz ?? "unknown";
}
