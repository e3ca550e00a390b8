/**
 * The target flags of `jobs create` / `jobs update`: one flag makes a
 * target of its kind (`--http-url`, `--script`, `--webhook-url`, `--noop`,
 * `--file-op`, `--database-connection`), the detail flags change the new
 * target or the job's own, and a detail flag of another kind is a usage error.
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Option } from "commander";
import {
  HttpTargetSchema,
  type JobTarget,
  JobTargetSchema,
  NoopTargetSchema,
  ScriptTargetSchema,
  WebhookTargetSchema,
} from "../../gen/chronoring/v1/job_pb.js";
import { UsageError } from "./exit-codes.js";
import {
  applyFileFlags,
  FILE_DETAIL_FLAGS,
  type FileFlags,
  fileOptions,
  newFileTarget,
} from "./file-flags.js";
import { collectPair, flagName, oneOf, parseDurationMs } from "./flag-values.js";
import {
  applyDatabaseFlags,
  DATABASE_DETAIL_FLAGS,
  type DatabaseFlags,
  databaseOptions,
  newDatabaseTarget,
} from "./job-flags-database.js";

export interface TargetFlags extends FileFlags, DatabaseFlags {
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
}

/** The target flags, each kind's and their details. */
export function targetOptions(): Option[] {
  return [
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
  ];
}

type TargetKind = NonNullable<JobTarget["kind"]["case"]>;

/** Which target kind each detail flag belongs to. */
const DETAIL_KINDS: Array<[keyof TargetFlags, TargetKind[]]> = [
  ["method", ["http"]],
  ["body", ["http"]],
  ["header", ["http", "webhook"]],
  ["timeout", ["http", "script", "webhook", "file", "database"]],
  ["arg", ["script"]],
  ["env", ["script"]],
  ["payload", ["webhook"]],
  ["secret", ["webhook"]],
  ["sleep", ["noop"]],
  ...FILE_DETAIL_FLAGS.map((k): [keyof TargetFlags, TargetKind[]] => [k, ["file"]]),
  ...DATABASE_DETAIL_FLAGS.map((k): [keyof TargetFlags, TargetKind[]] => [k, ["database"]]),
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

function newTarget(f: TargetFlags): JobTarget | undefined {
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

/** The target flags applied onto `base` (or a new target); undefined when none is given. */
export function applyTarget(base: JobTarget | undefined, f: TargetFlags): JobTarget | undefined {
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
