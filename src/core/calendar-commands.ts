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

/** The operations behind CalendarService. */
export interface CalendarCommands {
  create(input: CalendarInput): Promise<Calendar>;
  get(name: string): Promise<Calendar>;
  list(): Promise<Calendar[]>;
  update(
    name: string,
    change: Partial<Omit<CalendarInput, "name">>,
    expectedVersion?: number,
  ): Promise<Calendar>;
  /** failed_precondition while a job that is not cancelled references it. */
  delete(name: string): Promise<void>;
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

  async function load(name: string): Promise<Calendar> {
    validateCalendarName(name, "name");
    const calendar = await calendars.getCalendar(name);
    if (!calendar) throw notFound(`calendar ${name}`);
    return calendar;
  }

  return {
    async create(input) {
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
      await calendars.createCalendar(calendar);
      return calendar;
    },

    get: load,

    list: () => calendars.listCalendars(),

    async update(name, change, expectedVersion) {
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
      return calendars.updateCalendar(name, next, expectedVersion, clock.now());
    },

    async delete(name) {
      await load(name);
      // A job created between this check and the delete keeps a reference to
      // a missing calendar; the scheduler then fires it as if no date were
      // excluded (and logs it), so no run is lost.
      if (await calendars.isReferenced(name)) {
        throw failedPrecondition(
          `calendar ${name} is used by a job that is not cancelled; change or delete those jobs first`,
        );
      }
      await calendars.deleteCalendar(name);
    },
  };
}
