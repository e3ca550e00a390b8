/**
 * The schedule flags of `jobs create` / `jobs update`, `jobs preview` and
 * `workflows` (`--cron --tz --jitter --flexible-window ...`), applied onto a
 * ScheduleSpec: a flag changing part of the schedule keeps the rest as it
 * is. Values the server checks (a cron, a zone) pass through unchanged, so
 * its InvalidArgument names the field.
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Command, Option } from "commander";
import {
  CalendarModeSchema,
  CalendarRefSchema,
  DstFoldSchema,
  DstGapSchema,
  DstPolicySchema,
  MisfireModeSchema,
  MisfirePolicySchema,
  type ScheduleSpec,
  ScheduleSpecSchema,
} from "../../gen/chronoring/v1/schedule_pb.js";
import { enumChoices, enumValue, oneOf, parseDurationMs, parseTimeMs } from "./flag-values.js";

export interface ScheduleFlags {
  cron?: string;
  interval?: string;
  at?: number;
  after?: number;
  tz?: string;
  start?: number;
  end?: number;
  jitter?: number;
  flexibleWindow?: number;
  calendar?: string;
  calendarMode?: number;
  dstGap?: number;
  dstFold?: number;
  misfire?: number;
}

const choices = (desc: Parameters<typeof enumChoices>[0]) => enumChoices(desc).join("|");

/** The schedule flags: of `jobs create` / `jobs update`, and of `jobs preview`. */
export function addScheduleFlags(cmd: Command): Command {
  const flags: Option[] = [
    new Option("--cron <expr>", "cron schedule: '0 2 * * *', 6 fields with seconds, or cron(...)"),
    new Option("--interval <spec>", "interval schedule: 'rate(5 minutes)', 90s, 15m, 2h"),
    new Option("--at <time>", "one run at: 2026-12-04T08:00:00Z, +10m").argParser((v) =>
      parseTimeMs(v),
    ),
    new Option("--after <duration>", "one run this long after creation: 10m").argParser(
      parseDurationMs,
    ),
    new Option("--tz <zone>", "IANA time zone of --cron (default UTC)"),
    new Option("--start <time>", "no run before").argParser((v) => parseTimeMs(v)),
    new Option("--end <time>", "no run after").argParser((v) => parseTimeMs(v)),
    new Option("--jitter <duration>", "spread each run by up to this").argParser(parseDurationMs),
    new Option(
      "--flexible-window <duration>",
      "each run may start up to this after its time, spread evenly (1s-15m; 0s removes it)",
    ).argParser(parseDurationMs),
    new Option("--calendar <name>", "skip the dates of this calendar"),
    new Option("--calendar-mode <mode>", choices(CalendarModeSchema)).argParser(
      enumValue(CalendarModeSchema),
    ),
    new Option("--misfire <mode>", choices(MisfireModeSchema)).argParser(
      enumValue(MisfireModeSchema),
    ),
    new Option("--dst-gap <mode>", `a --cron time DST skips: ${choices(DstGapSchema)}`).argParser(
      enumValue(DstGapSchema),
    ),
    new Option(
      "--dst-fold <mode>",
      `a --cron time DST repeats: ${choices(DstFoldSchema)}`,
    ).argParser(enumValue(DstFoldSchema)),
  ];
  for (const flag of flags) cmd.addOption(flag);
  return cmd;
}

/** The schedule flags applied onto `base` (or a new spec); undefined when none is given. */
export function applySchedule(
  base: ScheduleSpec | undefined,
  f: ScheduleFlags,
): ScheduleSpec | undefined {
  const kind = oneOf(f, ["cron", "interval", "at", "after"], "schedule");
  const rest: Array<keyof ScheduleFlags> = [
    "tz",
    "start",
    "end",
    "jitter",
    "flexibleWindow",
    "calendar",
    "calendarMode",
    "dstGap",
    "dstFold",
    "misfire",
  ];
  if (kind === undefined && rest.every((k) => f[k] === undefined)) return undefined;
  const s = base ?? create(ScheduleSpecSchema);
  if (f.cron !== undefined) s.kind = { case: "cron", value: f.cron };
  if (f.interval !== undefined) s.kind = { case: "interval", value: f.interval };
  if (f.at !== undefined) s.kind = { case: "at", value: timestampFromMs(f.at) };
  if (f.after !== undefined) s.kind = { case: "after", value: durationFromMs(f.after) };
  if (f.tz !== undefined) s.timeZone = f.tz;
  if (f.start !== undefined) s.startTime = timestampFromMs(f.start);
  if (f.end !== undefined) s.endTime = timestampFromMs(f.end);
  if (f.jitter !== undefined) s.jitter = durationFromMs(f.jitter);
  if (f.flexibleWindow !== undefined) {
    // 0 removes the window (the server stores none for an absent or zero one).
    s.flexibleWindow = f.flexibleWindow === 0 ? undefined : durationFromMs(f.flexibleWindow);
  }
  if (f.calendar !== undefined || f.calendarMode !== undefined) {
    s.calendar ??= create(CalendarRefSchema);
    if (f.calendar !== undefined) s.calendar.name = f.calendar;
    if (f.calendarMode !== undefined) s.calendar.mode = f.calendarMode;
  }
  if (f.dstGap !== undefined || f.dstFold !== undefined) {
    s.dst ??= create(DstPolicySchema);
    if (f.dstGap !== undefined) s.dst.gap = f.dstGap;
    if (f.dstFold !== undefined) s.dst.fold = f.dstFold;
  }
  if (f.misfire !== undefined) {
    s.misfire ??= create(MisfirePolicySchema);
    s.misfire.mode = f.misfire;
  }
  return s;
}
