/**
 * Compiled cron expressions, keyed by source. The scheduler evaluates the same
 * few expressions over and over; parsing costs far more than matching.
 * Compilation does not depend on the time zone (matching is on wall-clock
 * readings), so the zone is not part of the key.
 */

import { type CronMatcher, createCronMatcher } from "./cron-matcher.js";
import { parseCron } from "./cron-syntax.js";

/**
 * About 3.2 kB a matcher, so 13 MB when full. A thousand did not hold the
 * daily schedules alone (`M H * * *` has 1,440 spellings): an import of a mix
 * of them parsed nearly every item again (~64 µs each).
 */
const MAX_ENTRIES = 4096;
const cache = new Map<string, CronMatcher>();

/**
 * The last one asked for. A schedule's runs are searched one after another
 * (a validation's gap sample reads dozens), and moving the entry to the back of
 * `cache` on each hit was most of an import's cron time: 4.1 of its 14 CPU-s at
 * 40,000 schedules.
 */
let last: { source: string; matcher: CronMatcher } | undefined;

/** The matcher for a cron source; throws InvalidArgument ("schedule.cron") when it is invalid. */
export function cronMatcher(source: string): CronMatcher {
  if (last !== undefined && last.source === source) return last.matcher;
  const matcher = lookUp(source);
  last = { source, matcher };
  return matcher;
}

function lookUp(source: string): CronMatcher {
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
