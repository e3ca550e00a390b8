import type { Calendar } from "../time-policy.js";

/** Fields UpdateCalendar may change. */
export interface CalendarChange {
  description?: string;
  excludedDates?: string[];
  excludedWeekdays?: number[];
}

/** Durable, named calendars. */
export interface CalendarStore {
  /** Fails with already_exists when the name is taken. */
  createCalendar(calendar: Calendar): Promise<void>;
  getCalendar(name: string): Promise<Calendar | undefined>;
  /** Every calendar, by name (calendars are few: a deployment has tens). */
  listCalendars(): Promise<Calendar[]>;
  /** Conditional on existence (not_found) and, when given, the version (aborted); bumps the version. */
  updateCalendar(
    name: string,
    change: CalendarChange,
    expectedVersion: number | undefined,
    nowMs: number,
  ): Promise<Calendar>;
  /** Fails with not_found when unknown. */
  deleteCalendar(name: string): Promise<void>;
  /** Whether a job that is not cancelled references the calendar. */
  isReferenced(name: string): Promise<boolean>;
}
