/**
 * The common fields of a job as flags (`--name --cron --tz --http-url ...`),
 * applied onto a Job message: an empty one for `jobs create`, the current
 * job for `jobs update`, which sends the fields the flags touch as its
 * `update_mask`. A flag changing part of the schedule, target or retry policy
 * keeps the rest as it is. Values the server checks (a cron, a zone, a URL)
 * pass through unchanged, so its InvalidArgument names the field.
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Command, Option } from "commander";
import type { Job } from "../../gen/chronoring/v1/job_pb.js";
import { PrioritySchema } from "../../gen/chronoring/v1/priority_pb.js";
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
import {
  collect,
  enumChoices,
  enumValue,
  oneOf,
  parseDurationMs,
  parseTimeMs,
} from "./flag-values.js";
import { applyPolicyFlags, type PolicyFlags, policyOptions } from "./job-flags-policy.js";
import { applyTarget, type TargetFlags, targetOptions } from "./job-flags-target.js";

export interface JobFlags extends TargetFlags, PolicyFlags {
  name?: string;
  owner?: string;
  tag?: string[];
  priority?: number;
  cron?: string;
  interval?: string;
  at?: number;
  after?: number;
  tz?: string;
  start?: number;
  end?: number;
  jitter?: number;
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

/** Adds the job field flags to `jobs create` / `jobs update`. */
export function addJobFlags(cmd: Command): Command {
  const flags: Option[] = [
    new Option("--name <name>", "job name"),
    new Option("--owner <owner>", "owning team or user"),
    new Option("--tag <tag>", "a tag (repeat, or a,b,c); replaces the tags").argParser(collect),
    new Option("--priority <p>", choices(PrioritySchema)).argParser(enumValue(PrioritySchema)),
    ...targetOptions(),
    ...policyOptions(),
  ];
  addScheduleFlags(cmd);
  for (const flag of flags) cmd.addOption(flag);
  return cmd;
}

/** The schedule flags applied onto `base` (or a new spec); undefined when none is given. */
export function applySchedule(
  base: ScheduleSpec | undefined,
  f: JobFlags,
): ScheduleSpec | undefined {
  const kind = oneOf(f, ["cron", "interval", "at", "after"], "schedule");
  const rest: Array<keyof JobFlags> = [
    "tz",
    "start",
    "end",
    "jitter",
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

/**
 * Applies the flags onto `job` in place; returns the `update_mask` paths of
 * the fields they changed.
 */
export function applyJobFlags(job: Job, f: JobFlags): string[] {
  const paths: string[] = [];
  if (f.name !== undefined) {
    job.name = f.name;
    paths.push("name");
  }
  if (f.owner !== undefined) {
    job.owner = f.owner;
    paths.push("owner");
  }
  if (f.tag !== undefined) {
    job.tags = f.tag;
    paths.push("tags");
  }
  if (f.priority !== undefined) {
    job.priority = f.priority;
    paths.push("priority");
  }
  const schedule = applySchedule(job.schedule, f);
  if (schedule !== undefined) {
    job.schedule = schedule;
    paths.push("schedule");
  }
  const target = applyTarget(job.target, f);
  if (target !== undefined) {
    job.target = target;
    paths.push("target");
  }
  paths.push(...applyPolicyFlags(job, f));
  return paths;
}
