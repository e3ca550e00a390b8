/**
 * chronoring.v1.CalendarService: thin handlers, codec → CalendarCommands → codec.
 */

import type { ServiceImpl } from "@connectrpc/connect";
import type { CalendarService } from "../../gen/chronoring/v1/calendar_service_pb.js";
import type { CalendarCommands, CalendarInput } from "../core/calendar-commands.js";
import { invalidArgument } from "../core/errors.js";
import { tenantOf } from "./caller-context.js";
import { calendarInputFromProto, calendarToProto } from "./policy-codec.js";
import { maskPaths } from "./update-mask.js";

/** Fields UpdateCalendar may change, as `update_mask` paths. */
export const CALENDAR_PATHS = ["description", "excluded_dates", "excluded_weekdays"] as const;

export function createCalendarService(
  commands: CalendarCommands,
): ServiceImpl<typeof CalendarService> {
  return {
    async createCalendar(req, ctx) {
      return {
        calendar: calendarToProto(
          await commands.create(tenantOf(ctx), calendarInputFromProto(req.calendar)),
        ),
      };
    },

    async getCalendar(req, ctx) {
      return { calendar: calendarToProto(await commands.get(tenantOf(ctx), req.name)) };
    },

    async listCalendars(_req, ctx) {
      return { calendars: (await commands.list(tenantOf(ctx))).map(calendarToProto) };
    },

    async updateCalendar(req, ctx) {
      const input = calendarInputFromProto(req.calendar);
      const paths = new Set(maskPaths(req.updateMask?.paths, CALENDAR_PATHS));
      if (req.expectedVersion < 0n)
        throw invalidArgument("expected_version", "must not be negative");
      const change: Partial<Omit<CalendarInput, "name">> = {};
      if (paths.has("description")) change.description = input.description;
      if (paths.has("excluded_dates")) change.excludedDates = input.excludedDates;
      if (paths.has("excluded_weekdays")) change.excludedWeekdays = input.excludedWeekdays;
      const expected = req.expectedVersion === 0n ? undefined : Number(req.expectedVersion);
      return {
        calendar: calendarToProto(
          await commands.update(tenantOf(ctx), input.name, change, expected),
        ),
      };
    },

    async deleteCalendar(req, ctx) {
      await commands.delete(tenantOf(ctx), req.name);
      return {};
    },
  };
}
