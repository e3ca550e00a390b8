/**
 * `chronoring calendars`: shared calendars of excluded dates
 * (CalendarService), by name. Create and update take flags or `-f FILE`
 * (a Calendar in proto JSON or YAML); update sends the fields given as its
 * `update_mask`, at the version it read.
 */

import { create } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import {
  type Calendar,
  CalendarSchema,
  WeekdaySchema,
} from "../../gen/chronoring/v1/calendar_service_pb.js";
import { run } from "./context.js";
import { UsageError } from "./exit-codes.js";
import { collect, enumChoices, enumLabel, enumList, intIn } from "./flag-values.js";
import { readMessageFile } from "./input-file.js";
import { emit, fields, table } from "./output.js";
import { whenText } from "./time-text.js";

interface CalendarFlags {
  file?: string;
  description?: string;
  date?: string[];
  addDate?: string[];
  removeDate?: string[];
  weekday?: number[];
  ifVersion?: number;
}

const weekdays = (c: Calendar) =>
  c.excludedWeekdays.map((w) => enumLabel(WeekdaySchema, w)).join(",") || "-";

function calendarFields(c: Calendar, nowMs: number): Array<[string, string]> {
  return [
    ["name", c.name],
    ["description", c.description || "-"],
    ["excluded dates", c.excludedDates.join(", ") || "-"],
    ["excluded weekdays", weekdays(c)],
    ["version", String(c.version)],
    ["created", whenText(c.createTime, nowMs)],
    ["updated", whenText(c.updateTime, nowMs)],
  ];
}

function addCalendarFlags(cmd: Command, update: boolean): Command {
  cmd
    .addOption(new Option("-f, --file <file>", "the calendar in proto JSON or YAML (- for stdin)"))
    .option("--description <text>", "free text")
    .addOption(
      new Option("--date <dates>", "excluded dates YYYY-MM-DD (repeat, or a,b)").argParser(collect),
    )
    .addOption(
      new Option(
        "--weekday <days>",
        `excluded weekdays: ${enumChoices(WeekdaySchema).join(",")}`,
      ).argParser(enumList(WeekdaySchema)),
    );
  if (update) {
    cmd
      .addOption(new Option("--add-date <dates>", "exclude these dates too").argParser(collect))
      .addOption(new Option("--remove-date <dates>", "no longer exclude these").argParser(collect))
      .addOption(
        new Option("--if-version <n>", "only at this version (else exit 6)").argParser(
          intIn(1, Number.MAX_SAFE_INTEGER),
        ),
      );
  }
  return cmd;
}

/** Applies the file and the flags onto `c`; returns the `update_mask` paths touched. */
async function applyCalendar(c: Calendar, o: CalendarFlags): Promise<string[]> {
  const paths = new Set<string>();
  if (o.file) {
    const { message, fields: given } = await readMessageFile(CalendarSchema, o.file, "calendar");
    if (given.includes("description")) c.description = message.description;
    if (given.includes("excluded_dates")) c.excludedDates = message.excludedDates;
    if (given.includes("excluded_weekdays")) c.excludedWeekdays = message.excludedWeekdays;
    if (!c.name) c.name = message.name;
    for (const path of given) {
      if (["description", "excluded_dates", "excluded_weekdays"].includes(path)) paths.add(path);
    }
  }
  if (o.description !== undefined) {
    c.description = o.description;
    paths.add("description");
  }
  if (o.date !== undefined || o.addDate !== undefined || o.removeDate !== undefined) {
    const dates = new Set(o.date ?? c.excludedDates);
    for (const d of o.addDate ?? []) dates.add(d);
    for (const d of o.removeDate ?? []) dates.delete(d);
    c.excludedDates = [...dates].sort();
    paths.add("excluded_dates");
  }
  if (o.weekday !== undefined) {
    c.excludedWeekdays = o.weekday;
    paths.add("excluded_weekdays");
  }
  return [...paths];
}

const nameArgument = (cmd: Command) => cmd.argument("<name>", "calendar name");

export function calendarsCommand(): Command {
  const calendars = new Command("calendars").description(
    "calendars of excluded dates: list, get, create, update, delete",
  );
  calendars.addCommand(
    new Command("list").description("every calendar, by name").action(
      run(async (ctx) => {
        const res = await ctx.api().calendars.listCalendars({});
        emit(ctx.o, res, () =>
          table(
            [
              { header: "NAME", value: (c: Calendar) => c.name },
              { header: "DATES", value: (c: Calendar) => String(c.excludedDates.length) },
              { header: "WEEKDAYS", value: weekdays },
              { header: "VERSION", value: (c: Calendar) => String(c.version), optional: true },
              {
                header: "DESCRIPTION",
                value: (c: Calendar) => c.description || "-",
                flex: true,
                optional: true,
              },
            ],
            res.calendars,
          ),
        );
      }),
    ),
  );
  calendars.addCommand(
    nameArgument(new Command("get").description("show one calendar")).action(
      run(async (ctx) => {
        const res = await ctx.api().calendars.getCalendar({ name: ctx.args[0] as string });
        emit(ctx.o, res, () => fields(calendarFields(res.calendar!, ctx.nowMs)));
      }),
    ),
  );
  calendars.addCommand(
    addCalendarFlags(
      nameArgument(new Command("create").description("create a calendar")),
      false,
    ).action(
      run<CalendarFlags>(async (ctx) => {
        const calendar = create(CalendarSchema, { name: ctx.args[0] as string });
        await applyCalendar(calendar, ctx.o);
        calendar.name = ctx.args[0] as string;
        const res = await ctx.api().calendars.createCalendar({ calendar });
        emit(ctx.o, res, () => fields(calendarFields(res.calendar!, ctx.nowMs)));
      }),
    ),
  );
  calendars.addCommand(
    addCalendarFlags(
      nameArgument(new Command("update").description("change the fields given; the rest stay")),
      true,
    ).action(
      run<CalendarFlags>(async (ctx) => {
        const current = (await ctx.api().calendars.getCalendar({ name: ctx.args[0] as string }))
          .calendar!;
        const paths = await applyCalendar(current, ctx.o);
        if (paths.length === 0) throw new UsageError("nothing to change: give flags or -f FILE");
        const res = await ctx.api().calendars.updateCalendar({
          calendar: current,
          updateMask: { paths },
          expectedVersion: BigInt(ctx.o.ifVersion ?? current.version),
        });
        emit(ctx.o, res, () => fields(calendarFields(res.calendar!, ctx.nowMs)));
      }),
    ),
  );
  calendars.addCommand(
    nameArgument(
      new Command("delete").description("delete a calendar no job (not cancelled) uses"),
    ).action(
      run(async (ctx) => {
        const name = ctx.args[0] as string;
        const res = await ctx.api().calendars.deleteCalendar({ name });
        emit(ctx.o, res, () => `deleted calendar ${name}`);
      }),
    ),
  );
  return calendars;
}
