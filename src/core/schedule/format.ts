/** Presentation of instants in a schedule's zone. */

import { DateTime } from "luxon";
import { invalidArgument } from "../errors.js";

/**
 * ISO 8601 with the offset in `timeZone`, ms precision, e.g.
 * `2026-03-29T03:00:00.000+02:00` (`Z` for the UTC zone itself).
 */
export function formatLocal(ms: number, timeZone: string): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${ms}`);
  const text = DateTime.fromMillis(ms, { zone: timeZone }).toISO({ suppressMilliseconds: false });
  if (text === null) throw invalidArgument("schedule.time_zone", `unknown time zone "${timeZone}"`);
  return text;
}
