/**
 * The common fields of a job as flags (`--name --http-url ...`, and the
 * schedule's from `job-flags-schedule.ts`), applied onto a Job message: an
 * empty one for `jobs create`, the current job for `jobs update`, which
 * sends the fields the flags touch as its `update_mask`. A flag changing
 * part of the schedule, target or retry policy keeps the rest as it is.
 * Values the server checks (a cron, a zone, a URL) pass through unchanged,
 * so its InvalidArgument names the field.
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type Command, Option } from "commander";
import {
  HttpTargetSchema,
  type Job,
  type JobTarget,
  JobTargetSchema,
  NoopTargetSchema,
  ScriptTargetSchema,
  WebhookTargetSchema,
} from "../../gen/chronoring/v1/job_pb.js";
import { PrioritySchema } from "../../gen/chronoring/v1/priority_pb.js";
import {
  BackoffSchema,
  RetryPolicySchema,
  RetryStrategySchema,
} from "../../gen/chronoring/v1/retry_pb.js";
import { UsageError } from "./exit-codes.js";
import {
  applyFileFlags,
  FILE_DETAIL_FLAGS,
  type FileFlags,
  fileOptions,
  newFileTarget,
} from "./file-flags.js";
import {
  collect,
  collectPair,
  enumChoices,
  enumValue,
  flagName,
  intIn,
  oneOf,
  parseDurationMs,
} from "./flag-values.js";
import {
  applyDatabaseFlags,
  DATABASE_DETAIL_FLAGS,
  type DatabaseFlags,
  databaseOptions,
  newDatabaseTarget,
} from "./job-flags-database.js";
import { addScheduleFlags, applySchedule, type ScheduleFlags } from "./job-flags-schedule.js";

export interface JobFlags extends ScheduleFlags, FileFlags, DatabaseFlags {
  name?: string;
  owner?: string;
  tag?: string[];
  priority?: number;
  httpUrl?: string;
  method?: string;
  header?: Record<string, string>;
  body?: string;
  timeout?: number;
  script?: string;
  arg?: string[];
  env?: Record<string, string>;
  webhookUrl?: string;
  payload?: string;
  secret?: string;
  noop?: boolean;
  sleep?: number;
  retry?: number;
  maxRetries?: number;
  retryDelay?: number;
  backoff?: number;
  maxDelay?: number;
}

const choices = (desc: Parameters<typeof enumChoices>[0]) => enumChoices(desc).join("|");

/** Adds the job field flags to `jobs create` / `jobs update`. */
export function addJobFlags(cmd: Command): Command {
  const flags: Option[] = [
    new Option("--name <name>", "job name"),
    new Option("--owner <owner>", "owning team or user"),
    new Option("--tag <tag>", "a tag (repeat, or a,b,c); replaces the tags").argParser(collect),
    new Option("--priority <p>", choices(PrioritySchema)).argParser(enumValue(PrioritySchema)),
    // target: one kind
    new Option("--http-url <url>", "http target: the URL called"),
    new Option("--method <method>", "http method (default GET)"),
    new Option("--header <header>", "'Name: value' (repeat)").argParser(collectPair(":")),
    new Option("--body <text>", "http request body"),
    new Option("--timeout <duration>", "http, script, webhook, file or database timeout").argParser(
      parseDurationMs,
    ),
    new Option("--script <command>", "script target: an allow-listed command"),
    new Option("--arg <arg>", "script argument (repeat, in order)").argParser(
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    ),
    new Option("--env <pair>", "script environment NAME=value (repeat)").argParser(
      collectPair("="),
    ),
    new Option("--webhook-url <url>", "webhook target: signed JSON POSTed here"),
    new Option("--payload <json>", "webhook payload (JSON text)"),
    new Option("--secret <secret>", "webhook signing secret (16+ characters)"),
    new Option("--noop", "noop target (does nothing)"),
    new Option("--sleep <duration>", "noop: sleep this long").argParser(parseDurationMs),
    ...fileOptions(),
    ...databaseOptions(),
    // retry policy
    new Option("--retry <strategy>", choices(RetryStrategySchema)).argParser(
      enumValue(RetryStrategySchema),
    ),
    new Option("--max-retries <n>", "retries after the first attempt").argParser(intIn(0, 100)),
    new Option("--retry-delay <duration>", "delay before a retry").argParser(parseDurationMs),
    new Option("--backoff <kind>", choices(BackoffSchema)).argParser(enumValue(BackoffSchema)),
    new Option("--max-delay <duration>", "cap of an exponential delay").argParser(parseDurationMs),
  ];
  addScheduleFlags(cmd);
  for (const flag of flags) cmd.addOption(flag);
  return cmd;
}

type TargetKind = NonNullable<JobTarget["kind"]["case"]>;

/** Which target kind each detail flag belongs to. */
const DETAIL_KINDS: Array<[keyof JobFlags, TargetKind[]]> = [
  ["method", ["http"]],
  ["body", ["http"]],
  ["header", ["http", "webhook"]],
  ["timeout", ["http", "script", "webhook", "file", "database"]],
  ["arg", ["script"]],
  ["env", ["script"]],
  ["payload", ["webhook"]],
  ["secret", ["webhook"]],
  ["sleep", ["noop"]],
  ...FILE_DETAIL_FLAGS.map((k): [keyof JobFlags, TargetKind[]] => [k, ["file"]]),
  ...DATABASE_DETAIL_FLAGS.map((k): [keyof JobFlags, TargetKind[]] => [k, ["database"]]),
];

/** The flag that makes a target of each kind. */
const KIND_FLAG: Record<TargetKind, string> = {
  http: "--http-url",
  script: "--script",
  webhook: "--webhook-url",
  noop: "--noop",
  workflow: "-f",
  file: "--file-op",
  database: "--database-connection",
};

function newTarget(f: JobFlags): JobTarget | undefined {
  const kind = oneOf(
    f,
    ["httpUrl", "script", "webhookUrl", "noop", "fileOp", "databaseConnection"],
    "target",
  );
  switch (kind) {
    case "httpUrl":
      return create(JobTargetSchema, {
        kind: { case: "http", value: create(HttpTargetSchema, { url: f.httpUrl! }) },
      });
    case "script":
      return create(JobTargetSchema, {
        kind: { case: "script", value: create(ScriptTargetSchema, { command: f.script! }) },
      });
    case "webhookUrl":
      return create(JobTargetSchema, {
        kind: { case: "webhook", value: create(WebhookTargetSchema, { url: f.webhookUrl! }) },
      });
    case "noop":
      return create(JobTargetSchema, { kind: { case: "noop", value: create(NoopTargetSchema) } });
    case "fileOp":
      return create(JobTargetSchema, { kind: { case: "file", value: newFileTarget(f.fileOp!) } });
    case "databaseConnection":
      return create(JobTargetSchema, { kind: { case: "database", value: newDatabaseTarget(f) } });
    default:
      return undefined;
  }
}

function applyTarget(base: JobTarget | undefined, f: JobFlags): JobTarget | undefined {
  const details = DETAIL_KINDS.filter(([k]) => f[k] !== undefined);
  const fresh = newTarget(f);
  if (fresh === undefined && details.length === 0) return undefined;
  const t = fresh ?? base;
  for (const [key, kinds] of details) {
    if (t === undefined || !t.kind.case || !kinds.includes(t.kind.case)) {
      const want = kinds.map((kind) => KIND_FLAG[kind]).join(" or ");
      const has = t?.kind.case ? ` (the job's target is ${t.kind.case})` : "";
      throw new UsageError(
        `${flagName(key)} is for a ${kinds.join(" or ")} target: add ${want}${has}`,
      );
    }
  }
  const k = t!.kind;
  if (k.case === "http") {
    if (f.method !== undefined) k.value.method = f.method.toUpperCase();
    if (f.header !== undefined) k.value.headers = f.header;
    if (f.body !== undefined) k.value.body = new TextEncoder().encode(f.body);
    if (f.timeout !== undefined) k.value.timeout = durationFromMs(f.timeout);
  } else if (k.case === "script") {
    if (f.arg !== undefined) k.value.args = f.arg;
    if (f.env !== undefined) k.value.env = f.env;
    if (f.timeout !== undefined) k.value.timeout = durationFromMs(f.timeout);
  } else if (k.case === "webhook") {
    if (f.header !== undefined) k.value.headers = f.header;
    if (f.payload !== undefined) k.value.payload = f.payload;
    if (f.secret !== undefined) k.value.secret = f.secret;
    if (f.timeout !== undefined) k.value.timeout = durationFromMs(f.timeout);
  } else if (k.case === "noop" && f.sleep !== undefined) {
    k.value.sleep = durationFromMs(f.sleep);
  } else if (k.case === "file") {
    applyFileFlags(k.value, f, f.timeout);
  } else if (k.case === "database") {
    applyDatabaseFlags(k.value, f);
    if (f.timeout !== undefined) k.value.timeout = durationFromMs(f.timeout);
  }
  return t;
}

function applyRetry(job: Job, f: JobFlags): boolean {
  const keys: Array<keyof JobFlags> = ["retry", "maxRetries", "retryDelay", "backoff", "maxDelay"];
  if (keys.every((k) => f[k] === undefined)) return false;
  const p = job.retryPolicy ?? create(RetryPolicySchema);
  if (f.retry !== undefined) p.strategy = f.retry;
  if (f.maxRetries !== undefined) p.maxRetries = f.maxRetries;
  if (f.retryDelay !== undefined) p.retryDelay = durationFromMs(f.retryDelay);
  if (f.backoff !== undefined) p.backoff = f.backoff;
  if (f.maxDelay !== undefined) p.maxDelay = durationFromMs(f.maxDelay);
  job.retryPolicy = p;
  return true;
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
  if (applyRetry(job, f)) paths.push("retry_policy");
  return paths;
}
