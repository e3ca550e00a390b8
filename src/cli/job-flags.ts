/**
 * The common fields of a job as flags (`--name --cron --tz --http-url ...`),
 * applied onto a Job message: an empty one for `jobs create`, the current
 * job for `jobs update`, which sends the fields the flags touch as its
 * `update_mask`. A flag changing part of the schedule, target or retry policy
 * keeps the rest as it is. Values the server checks (a cron, a zone, a URL)
 * pass through unchanged, so its InvalidArgument names the field.
 */

import { type Command, Option } from "commander";
import type { Job } from "../../gen/chronoring/v1/job_pb.js";
import { PrioritySchema } from "../../gen/chronoring/v1/priority_pb.js";
import { collect, enumChoices, enumValue } from "./flag-values.js";
import { applyPolicyFlags, type PolicyFlags, policyOptions } from "./job-flags-policy.js";
import { addScheduleFlags, applySchedule, type ScheduleFlags } from "./job-flags-schedule.js";
import { applyTarget, type TargetFlags, targetOptions } from "./job-flags-target.js";

export interface JobFlags extends ScheduleFlags, TargetFlags, PolicyFlags {
  name?: string;
  owner?: string;
  tag?: string[];
  priority?: number;
}

const choices = (desc: Parameters<typeof enumChoices>[0]) => enumChoices(desc).join("|");

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
