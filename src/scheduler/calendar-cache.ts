import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { CalendarStore } from "../core/ports/calendar-store.js";
import type { CalendarRules } from "../core/time-policy.js";

export interface CalendarCache {
  /** Makes sure the named calendars are cached and younger than the TTL (reads only those that are not). */
  load(names: Iterable<string>): Promise<void>;
  /** A loaded calendar; undefined when it does not exist (or was never loaded). */
  get(name: string): CalendarRules | undefined;
}

interface Entry {
  calendar: CalendarRules | undefined;
  loadedMs: number;
}

/**
 * Calendars as the scheduler sees them: read from the store when first
 * needed and again once older than `ttlMs`, so a calendar change reaches the
 * runs claimed at most `ttlMs` later. Only jobs that name a calendar cause
 * a read, at most one per calendar per TTL. A failed refresh keeps the
 * previous copy (a store fault must not stop firing); with none, the pass
 * fails and is retried.
 */
export function createCalendarCache(deps: {
  store: CalendarStore;
  clock: Clock;
  ttlMs: number;
  logger: Logger;
}): CalendarCache {
  const { store, clock, ttlMs, logger } = deps;
  const entries = new Map<string, Entry>();

  async function refresh(name: string, now: number): Promise<void> {
    try {
      const calendar = await store.getCalendar(name);
      if (calendar === undefined) {
        logger.warn(
          { calendar: name },
          "a job names a calendar that does not exist; no date is excluded",
        );
      }
      entries.set(name, { calendar, loadedMs: now });
    } catch (err) {
      if (!entries.has(name)) throw err;
      logger.warn({ err, calendar: name }, "calendar refresh failed; using the cached copy");
    }
  }

  return {
    async load(names) {
      const now = clock.now();
      const stale = [...new Set(names)].filter((name) => {
        const entry = entries.get(name);
        return entry === undefined || now - entry.loadedMs >= ttlMs;
      });
      await Promise.all(stale.map((name) => refresh(name, now)));
    },
    get: (name) => entries.get(name)?.calendar,
  };
}
