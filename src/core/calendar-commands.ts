import type { Clock } from "./clock.js";
import { failedPrecondition, invalidArgument, notFound } from "./errors.js";
import type { CalendarChange, CalendarStore } from "./ports/calendar-store.js";
import { normaliseExclusions, validateCalendarName } from "./schedule/index.js";
import type { Calendar } from "./time-policy.js";

/** A calendar as the API hands it over (converted from proto, not validated). */
export interface CalendarInput {
  name: string;
  description: string;
  excludedDates: string[];
  excludedWeekdays: number[];
}

export const MAX_CALENDAR_DESCRIPTION = 500;

/** The operations behind CalendarService, each on the caller's tenant's calendars. */
export interface CalendarCommands {
  create(tenant: string, input: CalendarInput): Promise<Calendar>;
  get(tenant: string, name: string): Promise<Calendar>;
  list(tenant: string): Promise<Calendar[]>;
  update(
    tenant: string,
    name: string,
    change: Partial<Omit<CalendarInput, "name">>,
    expectedVersion?: number,
  ): Promise<Calendar>;
  /** failed_precondition while a job that is not cancelled references it. */
  delete(tenant: string, name: string): Promise<void>;
}

function validateDescription(description: string, field: string): void {
  if (description.length > MAX_CALENDAR_DESCRIPTION) {
    throw invalidArgument(field, `must be at most ${MAX_CALENDAR_DESCRIPTION} characters`);
  }
}

export function createCalendarCommands(deps: {
  calendars: CalendarStore;
  clock: Clock;
}): CalendarCommands {
  const { calendars, clock } = deps;

  async function load(tenant: string, name: string): Promise<Calendar> {
    validateCalendarName(name, "name");
    const calendar = await calendars.getCalendar(tenant, name);
    if (!calendar) throw notFound(`calendar ${name}`);
    return calendar;
  }

  return {
    async create(tenant, input) {
      validateCalendarName(input.name, "calendar.name");
      validateDescription(input.description, "calendar.description");
      const now = clock.now();
      const calendar: Calendar = {
        name: input.name,
        description: input.description,
        ...normaliseExclusions(input.excludedDates, input.excludedWeekdays),
        version: 1,
        createdMs: now,
        updatedMs: now,
      };
      await calendars.createCalendar(tenant, calendar);
      return calendar;
    },

    get: load,

    list: (tenant) => calendars.listCalendars(tenant),

    async update(tenant, name, change, expectedVersion) {
      validateCalendarName(name, "calendar.name");
      const next: CalendarChange = {};
      if (change.description !== undefined) {
        validateDescription(change.description, "calendar.description");
        next.description = change.description;
      }
      if (change.excludedDates !== undefined || change.excludedWeekdays !== undefined) {
        const normal = normaliseExclusions(
          change.excludedDates ?? [],
          change.excludedWeekdays ?? [],
        );
        if (change.excludedDates !== undefined) next.excludedDates = normal.excludedDates;
        if (change.excludedWeekdays !== undefined) next.excludedWeekdays = normal.excludedWeekdays;
      }
      return calendars.updateCalendar(tenant, name, next, expectedVersion, clock.now());
    },

    async delete(tenant, name) {
      await load(tenant, name);
      // A job created between this check and the delete keeps a reference to
      // a missing calendar; the scheduler then fires it as if no date were
      // excluded (and logs it), so no run is lost.
      if (await calendars.isReferenced(tenant, name)) {
        throw failedPrecondition(
          `calendar ${name} is used by a job that is not cancelled; change or delete those jobs first`,
        );
      }
      await calendars.deleteCalendar(tenant, name);
    },
  };
}
