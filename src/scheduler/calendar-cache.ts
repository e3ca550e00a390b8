import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { CalendarStore } from "../core/ports/calendar-store.js";
import type { CalendarRules } from "../core/time-policy.js";

/** A calendar as a job names it: calendars are named per tenant, so the job's tenant and the name. */
export interface CalendarName {
  tenant: string;
  name: string;
}

export interface CalendarCache {
  /** Makes sure the named calendars are cached and younger than the TTL (reads only those that are not). */
  load(names: Iterable<CalendarName>): Promise<void>;
  /** A loaded calendar; undefined when it does not exist (or was never loaded). */
  get(tenant: string, name: string): CalendarRules | undefined;
}

interface Entry {
  calendar: CalendarRules | undefined;
  loadedMs: number;
}

/**
 * Calendars as the scheduler sees them, each in the tenant of the job that
 * names it: read from the store when first
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
  /** Keyed by tenant and name (a name holds no NUL). */
  const entries = new Map<string, Entry>();
  const keyOf = (tenant: string, name: string) => `${tenant}\0${name}`;

  async function refresh({ tenant, name }: CalendarName, now: number): Promise<void> {
    const key = keyOf(tenant, name);
    try {
      const calendar = await store.getCalendar(tenant, name);
      if (calendar === undefined) {
        logger.warn(
          { calendar: name, tenant },
          "a job names a calendar that does not exist; no date is excluded",
        );
      }
      entries.set(key, { calendar, loadedMs: now });
    } catch (err) {
      if (!entries.has(key)) throw err;
      logger.warn(
        { err, calendar: name, tenant },
        "calendar refresh failed; using the cached copy",
      );
    }
  }

  return {
    async load(names) {
      const now = clock.now();
      const wanted = new Map([...names].map((c) => [keyOf(c.tenant, c.name), c]));
      const stale = [...wanted].filter(([key]) => {
        const entry = entries.get(key);
        return entry === undefined || now - entry.loadedMs >= ttlMs;
      });
      await Promise.all(stale.map(([, c]) => refresh(c, now)));
    },
    get: (tenant, name) => entries.get(keyOf(tenant, name))?.calendar,
  };
}
