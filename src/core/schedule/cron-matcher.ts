/**
 * Finds the next wall-clock reading that matches a cron expression. Wall-clock
 * readings are "floating" milliseconds: the local calendar and clock read as
 * if they were UTC, so there is no DST here; `zone.ts` maps readings to
 * instants. cron-parser parses and expands the fields; the walk itself is
 * integer arithmetic because cron-parser's own iterator (luxon objects per
 * step) costs 50-700 µs per call, too slow for once-per-fire use.
 */

import type { CronFieldCollection } from "cron-parser";
import {
  civilFromDays,
  DAY_MS,
  daysFromCivil,
  daysInMonth,
  SECOND_MS,
  weekdayOfDays,
} from "./calendar.js";

export interface CronMatcher {
  /** Last allowed year when the expression has a year field, else undefined. */
  readonly lastYear: number | undefined;
  /** First matching whole-second reading strictly after `fromWall` and not after `limitWall`. */
  next(fromWall: number, limitWall: number): number | undefined;
}

/** `table[x]` = smallest allowed value >= x, or -1. */
function nextTable(values: readonly (number | string)[], size: number): Int16Array {
  const allowed = new Uint8Array(size);
  for (const v of values) if (typeof v === "number") allowed[v] = 1;
  const table = new Int16Array(size + 1).fill(-1);
  for (let x = size - 1; x >= 0; x--) table[x] = allowed[x] ? x : (table[x + 1] ?? -1);
  return table;
}

/**
 * The day of the month that `nW` / `LW` picks: the weekday nearest day n
 * (Saturday moves back to Friday, Sunday on to Monday, never across the
 * month's ends), or the last weekday. Undefined when day n is not in the month.
 */
export function nearestWeekdayDay(
  year: number,
  month: number,
  which: number | "last",
): number | undefined {
  const last = daysInMonth(year, month);
  const target = which === "last" ? last : which;
  if (target > last) return undefined;
  const weekday = weekdayOfDays(daysFromCivil(year, month, target));
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

export function createCronMatcher(
  fields: CronFieldCollection,
  years: readonly number[] | undefined,
  nearestWeekday?: number | "last",
): CronMatcher {
  const secondNext = nextTable(fields.second.values, 60);
  const minuteNext = nextTable(fields.minute.values, 60);
  const hourNext = nextTable(fields.hour.values, 24);
  const monthNext = nextTable(fields.month.values, 13);
  const dom = fields.dayOfMonth;
  const dow = fields.dayOfWeek;
  const domDays = new Uint8Array(32);
  for (const v of dom.values) if (typeof v === "number") domDays[v] = 1;
  const domLast = dom.hasLastChar;
  const dowDays = new Uint8Array(7);
  const dowLastDays = new Uint8Array(7);
  for (const v of dow.values) {
    if (typeof v === "number") dowDays[v % 7] = 1;
    else if (/^\dL$/.test(v)) dowLastDays[Number(v.charAt(0)) % 7] = 1;
  }
  const nth = dow.nthDay;
  const domWild = dom.isWildcard;
  const dowWild = dow.isWildcard;
  const yearList = years && years.length > 0 ? years : undefined;
  const yearSet = new Set(yearList);

  /** cron-parser's day rule: when both day fields are restricted, either may match. */
  const dayMatches = (year: number, month: number, day: number, days: number): boolean => {
    if (nearestWeekday !== undefined) return day === nearestWeekdayDay(year, month, nearestWeekday);
    const last = daysInMonth(year, month);
    const matchedDom = domDays[day] === 1 || (domLast && day === last);
    const weekday = weekdayOfDays(days);
    const matchedDow =
      (dowDays[weekday] === 1 && (nth <= 0 || Math.ceil(day / 7) === nth)) ||
      (dowLastDays[weekday] === 1 && day > last - 7);
    if (!domWild && !dowWild) return matchedDom || matchedDow;
    return dowWild ? matchedDom : matchedDow;
  };

  const nextYear = (year: number): number | undefined => {
    if (!yearList || yearSet.has(year)) return year;
    for (const y of yearList) if (y >= year) return y;
    return undefined;
  };

  const next = (fromWall: number, limitWall: number): number | undefined => {
    const first = Math.floor(fromWall / SECOND_MS) * SECOND_MS + SECOND_MS;
    if (!(first <= limitWall)) return undefined;
    const limitDays = Math.floor(limitWall / DAY_MS);
    let days = Math.floor(first / DAY_MS);
    const secondOfDay = (first - days * DAY_MS) / SECOND_MS;
    let hour = Math.floor(secondOfDay / 3600);
    let minute = Math.floor((secondOfDay % 3600) / 60);
    let second = secondOfDay % 60;
    let year = 0;
    let month = 0;
    let day = 0;
    let civilDays = Number.NaN;
    // Each step either accepts the current field or moves to the start of the
    // next candidate day/hour/minute; moving to another day resets the clock.
    while (days <= limitDays) {
      if (days !== civilDays) {
        const civil = civilFromDays(days);
        year = civil.year;
        month = civil.month;
        day = civil.day;
        civilDays = days;
      }
      const y = nextYear(year);
      if (y === undefined) return undefined;
      let target = days;
      if (y !== year) target = daysFromCivil(y, 1, 1);
      else {
        const m = monthNext[month] ?? -1;
        if (m !== month) target = m < 0 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, m, 1);
        else if (!dayMatches(year, month, day, days)) target = days + 1;
      }
      if (target === days) {
        const h = hourNext[hour] ?? -1;
        if (h < 0) target = days + 1;
        else {
          if (h !== hour) {
            hour = h;
            minute = 0;
            second = 0;
          }
          const mi = minuteNext[minute] ?? -1;
          if (mi < 0) {
            if (hour === 23) target = days + 1;
            else {
              hour += 1;
              minute = 0;
              second = 0;
              continue;
            }
          } else {
            if (mi !== minute) {
              minute = mi;
              second = 0;
            }
            const s = secondNext[second] ?? -1;
            if (s >= 0) {
              const wall = days * DAY_MS + ((hour * 60 + minute) * 60 + s) * SECOND_MS;
              return wall <= limitWall ? wall : undefined;
            }
            second = 0;
            if (minute < 59) minute += 1;
            else if (hour < 23) {
              hour += 1;
              minute = 0;
            } else target = days + 1;
            if (target === days) continue;
          }
        }
      }
      days = target;
      hour = 0;
      minute = 0;
      second = 0;
    }
    return undefined;
  };

  return { lastYear: yearList?.[yearList.length - 1], next };
}
