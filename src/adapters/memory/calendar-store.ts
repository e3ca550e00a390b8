import { aborted, alreadyExists, notFound } from "../../core/errors.js";
import type { CalendarStore } from "../../core/ports/calendar-store.js";
import { copy, type MemoryDb } from "./memory-db.js";

/** Named calendars per tenant, in memory, with the version checks of the DynamoDB store. */
export function createMemoryCalendarStore(db: MemoryDb): CalendarStore {
  const key = (tenant: string, name: string) => `${tenant}/${name}`;
  function existing(tenant: string, name: string) {
    const found = db.calendars.get(key(tenant, name));
    if (!found) throw notFound(`calendar ${name}`);
    return found;
  }
  return {
    async createCalendar(tenant, calendar) {
      if (db.calendars.has(key(tenant, calendar.name))) {
        throw alreadyExists(`calendar ${calendar.name}`);
      }
      db.calendars.set(key(tenant, calendar.name), copy(calendar));
    },
    async getCalendar(tenant, name) {
      const found = db.calendars.get(key(tenant, name));
      return found && copy(found);
    },
    async listCalendars(tenant) {
      return [...db.calendars.entries()]
        .filter(([k]) => k.startsWith(`${tenant}/`))
        .map(([, c]) => copy(c))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async updateCalendar(tenant, name, change, expectedVersion, nowMs) {
      const calendar = existing(tenant, name);
      if (expectedVersion !== undefined && calendar.version !== expectedVersion) {
        throw aborted(`calendar ${name} is at version ${calendar.version}, not ${expectedVersion}`);
      }
      if (change.description !== undefined) calendar.description = change.description;
      if (change.excludedDates !== undefined) calendar.excludedDates = [...change.excludedDates];
      if (change.excludedWeekdays !== undefined) {
        calendar.excludedWeekdays = [...change.excludedWeekdays];
      }
      calendar.version++;
      calendar.updatedMs = nowMs;
      return copy(calendar);
    },
    async deleteCalendar(tenant, name) {
      existing(tenant, name);
      db.calendars.delete(key(tenant, name));
    },
    async isReferenced(tenant, name) {
      for (const { job } of db.jobs.values()) {
        if (
          job.tenant === tenant &&
          job.status !== "CANCELLED" &&
          job.schedule.calendar?.name === name
        ) {
          return true;
        }
      }
      return false;
    },
  };
}
