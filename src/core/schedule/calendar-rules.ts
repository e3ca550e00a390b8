/**
 * Calendars of excluded dates, as the evaluator applies them: validation of a
 * calendar's fields and the pure rules (is a local date excluded, where does
 * a run roll to). Dates are local to the schedule's zone, so one holiday
 * calendar serves schedules in every zone.
 */

import { invalidArgument } from "../errors.js";
import type { Calendar, CalendarRules } from "../time-policy.js";
import { civilFromDays, DAY_MS, daysFromCivil, daysInMonth, weekdayOfDays } from "./calendar.js";
import type { ZoneClock } from "./zone.js";

export const CALENDAR_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const MAX_EXCLUDED_DATES = 1000;
export const MAX_DESCRIPTION = 500;
/** A run on an excluded date rolls at most this many days forward; beyond, it is dropped. */
export const MAX_ROLL_DAYS = 366;

/** Throws InvalidArgument on `field` unless `name` is 1-64 of [a-z0-9-] starting with a letter or digit. */
export function validateCalendarName(name: string, field: string): void {
  if (name === "") throw invalidArgument(field, "required");
  if (!CALENDAR_NAME.test(name)) {
    throw invalidArgument(
      field,
      `must be 1 to 64 characters of [a-z0-9-], starting with a letter or digit; got "${name.slice(0, 80)}"`,
    );
  }
}

/** Day number of a `YYYY-MM-DD` date, or undefined when it is not a real date. */
export function dayOfDate(date: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  return daysFromCivil(year, month, day);
}

/** `YYYY-MM-DD` of a day number. */
export function dateOfDay(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/**
 * Validates and normalises the excluded dates and weekdays of a calendar
 * (sorted, unique). Fields are named as in the request (`prefix` =
 * `calendar`).
 */
export function normaliseExclusions(
  dates: readonly string[],
  weekdays: readonly number[],
  prefix = "calendar",
): Pick<Calendar, "excludedDates" | "excludedWeekdays"> {
  if (dates.length > MAX_EXCLUDED_DATES) {
    throw invalidArgument(`${prefix}.excluded_dates`, `at most ${MAX_EXCLUDED_DATES} dates`);
  }
  const days = new Set<number>();
  dates.forEach((date, i) => {
    const day = dayOfDate(date);
    if (day === undefined) {
      throw invalidArgument(
        `${prefix}.excluded_dates[${i}]`,
        `expected a date YYYY-MM-DD (1970 or later), got "${date.slice(0, 40)}"`,
      );
    }
    days.add(day);
  });
  const wd = new Set<number>();
  weekdays.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 0 || w > 6) {
      throw invalidArgument(`${prefix}.excluded_weekdays[${i}]`, "must be MONDAY to SUNDAY");
    }
    wd.add(w);
  });
  if (wd.size === 7) {
    throw invalidArgument(`${prefix}.excluded_weekdays`, "must leave at least one day of the week");
  }
  return {
    excludedDates: [...days].sort((a, b) => a - b).map(dateOfDay),
    excludedWeekdays: [...wd].sort((a, b) => a - b),
  };
}

/** A calendar compiled for lookups: excluded day numbers and weekdays. */
interface Compiled {
  days: Set<number>;
  weekdays: Set<number>;
}

const compiled = new WeakMap<CalendarRules, Compiled>();

function compile(rules: CalendarRules): Compiled {
  let c = compiled.get(rules);
  if (c === undefined) {
    c = {
      days: new Set(rules.excludedDates.map((d) => dayOfDate(d) ?? Number.NaN)),
      weekdays: new Set(rules.excludedWeekdays),
    };
    compiled.set(rules, c);
  }
  return c;
}

/** Whether a local day number is excluded by the calendar. */
export function isExcludedDay(rules: CalendarRules, day: number): boolean {
  const c = compile(rules);
  return c.days.has(day) || c.weekdays.has(weekdayOfDays(day));
}

/** The local day number of an instant in a zone. */
export function localDay(clock: ZoneClock, ms: number): number {
  return Math.floor((ms + clock.offsetAt(ms)) / DAY_MS);
}

/** Where a run on an excluded date goes under ROLL_FORWARD. */
export interface Roll {
  /** The instant it fires at instead (same local time on `toDay`, DST rules applied). */
  at: number;
  toDay: number;
  /** The local time does not exist on `toDay` (DST gap): moved to the gap's end. */
  gap: boolean;
}

/**
 * The same local time on the next non-excluded date after the run's own
 * date, within MAX_ROLL_DAYS; undefined when there is none. A local time that
 * falls into a DST gap on the target date fires at the first instant after
 * the gap, as any cron reading does.
 */
export function rollForward(rules: CalendarRules, clock: ZoneClock, ms: number): Roll | undefined {
  const wall = ms + clock.offsetAt(ms);
  const day = Math.floor(wall / DAY_MS);
  for (let k = 1; k <= MAX_ROLL_DAYS; k++) {
    if (isExcludedDay(rules, day + k)) continue;
    const target = wall + k * DAY_MS;
    const at = clock.toInstant(target);
    return { at, toDay: day + k, gap: at + clock.offsetAt(at) !== target };
  }
  return undefined;
}
