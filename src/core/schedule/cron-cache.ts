/**
 * Compiled cron expressions, keyed by source. The scheduler evaluates the same
 * few expressions over and over; parsing costs far more than matching.
 * Compilation does not depend on the time zone (matching is on wall-clock
 * readings), so the zone is not part of the key.
 */

import { type CronMatcher, createCronMatcher } from "./cron-matcher.js";
import { parseCron } from "./cron-syntax.js";

const MAX_ENTRIES = 1000;
const cache = new Map<string, CronMatcher>();

/** The matcher for a cron source; throws InvalidArgument ("schedule.cron") when it is invalid. */
export function cronMatcher(source: string): CronMatcher {
  const hit = cache.get(source);
  if (hit !== undefined) {
    // Re-insert so that Map order is least recently used first.
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const { fields, years, nearestWeekday } = parseCron(source);
  const matcher = createCronMatcher(fields, years, nearestWeekday);
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(source, matcher);
  return matcher;
}
