import type { Calendar } from "../time-policy.js";

/** Fields UpdateCalendar may change. */
export interface CalendarChange {
  description?: string;
  excludedDates?: string[];
  excludedWeekdays?: number[];
}

/**
 * Durable, named calendars. Names are per tenant: tenant A's "holidays" and
 * tenant B's "holidays" are two calendars, and every call names the tenant.
 */
export interface CalendarStore {
  /** Fails with already_exists when the tenant has a calendar of that name. */
  createCalendar(tenant: string, calendar: Calendar): Promise<void>;
  getCalendar(tenant: string, name: string): Promise<Calendar | undefined>;
  /** The tenant's calendars, by name (calendars are few: a deployment has tens). */
  listCalendars(tenant: string): Promise<Calendar[]>;
  /** Conditional on existence (not_found) and, when given, the version (aborted); bumps the version. */
  updateCalendar(
    tenant: string,
    name: string,
    change: CalendarChange,
    expectedVersion: number | undefined,
    nowMs: number,
  ): Promise<Calendar>;
  /** Fails with not_found when unknown. */
  deleteCalendar(tenant: string, name: string): Promise<void>;
  /** Whether a job of the tenant that is not cancelled references the calendar. */
  isReferenced(tenant: string, name: string): Promise<boolean>;
}
