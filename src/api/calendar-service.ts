/**
 * chronoring.v1.CalendarService: thin handlers, codec → CalendarCommands → codec.
 */

import type { ServiceImpl } from "@connectrpc/connect";
import type { CalendarService } from "../../gen/chronoring/v1/calendar_service_pb.js";
import type { CalendarCommands, CalendarInput } from "../core/calendar-commands.js";
import { invalidArgument } from "../core/errors.js";
import { tenantOf } from "./caller-context.js";
import { calendarInputFromProto, calendarToProto } from "./policy-codec.js";

/** Fields UpdateCalendar may change, as `update_mask` paths. */
export const CALENDAR_PATHS = ["description", "excluded_dates", "excluded_weekdays"] as const;

function maskPaths(paths: readonly string[] | undefined): Set<string> {
  if (paths === undefined || paths.length === 0) {
    throw invalidArgument("update_mask", `required: name the fields to change (${CALENDAR_PATHS})`);
  }
  for (const path of paths) {
    if (!(CALENDAR_PATHS as readonly string[]).includes(path)) {
      throw invalidArgument(
        "update_mask",
        `unknown path "${path}"; allowed: ${CALENDAR_PATHS.join(", ")}`,
      );
    }
  }
  return new Set(paths);
}

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
      const paths = maskPaths(req.updateMask?.paths);
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
