/**
 * Duration conversion shared by codec.ts and retry-codec.ts (its own module,
 * so that neither imports the other).
 */

import type { Duration } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../core/errors.js";

// google.protobuf.Duration: ±10,000 years.
const DURATION_MAX_S = 315_576_000_000n;

/** Milliseconds of a Duration; invalid_argument on `field` when negative or out of range. */
export function msFromDuration(d: Duration, field: string): number {
  if (d.seconds < 0n || d.nanos < 0) throw invalidArgument(field, "must not be negative");
  if (d.seconds > DURATION_MAX_S || d.nanos > 999_999_999) {
    throw invalidArgument(field, "not a valid duration (at most 10,000 years)");
  }
  const ms = Number(d.seconds) * 1000 + Math.round(d.nanos / 1_000_000);
  if (!Number.isSafeInteger(ms)) throw invalidArgument(field, "too long");
  return ms;
}
