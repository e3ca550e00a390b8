/**
 * How the CLI shows instants: UTC, to the second, with how far they are from
 * now ("in 3m", "12s ago"). Pure: `nowMs` is passed in, so tests fix it.
 */

import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";

const UNITS: Array<[suffix: string, ms: number]> = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
];

/** A span in its largest unit and the next one ("3m12s", "2h5m", "4d"), at most two units. */
export function spanText(ms: number): string {
  let rest = Math.floor(Math.abs(ms) / 1000) * 1000;
  if (rest === 0) return "0s";
  const parts: string[] = [];
  for (const [suffix, unit] of UNITS) {
    if (rest >= unit && parts.length < 2) {
      parts.push(`${Math.floor(rest / unit)}${suffix}`);
      rest %= unit;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.join("");
}

/** "in 3m12s", "12s ago", or "now" within a second. */
export function relativeText(ms: number, nowMs: number): string {
  const delta = ms - nowMs;
  if (Math.abs(delta) < 1000) return "now";
  return delta > 0 ? `in ${spanText(delta)}` : `${spanText(delta)} ago`;
}

/** `2026-12-04 08:00:00`: UTC to the second (JSON output keeps the milliseconds). */
export function utcText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** `2026-12-04 08:00:00 (in 3m)`, or "-" when there is no instant. */
export function whenText(ts: Timestamp | undefined, nowMs: number): string {
  if (ts === undefined) return "-";
  const ms = timestampMs(ts);
  return `${utcText(ms)} (${relativeText(ms, nowMs)})`;
}
