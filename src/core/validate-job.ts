/**
 * Validation of the parts of a job input that are not its schedule (the
 * schedule is validated by `parseSchedule`). Pure; every failure is an
 * invalid_argument naming the proto field path (`target.http.url`, `tags[3]`).
 */

import { invalidArgument } from "./errors.js";
import { parseExecutionId } from "./execution.js";
import { validateFileTarget } from "./file-target.js";
import { JOB_ID_PATTERN } from "./ids.js";
import type { JobTarget } from "./job.js";
import { loadsCode } from "./script-env.js";
import { validateDatabaseTarget } from "./validate-database-target.js";
import { validateWebhookTarget } from "./validate-webhook.js";

export const NAME_MAX = 200;
export const OWNER_MAX = 128;
export const TAGS_MAX = 20;
export const TAG_PATTERN = /^[A-Za-z0-9_.:/-]{1,64}$/;
export const HTTP_METHODS: readonly string[] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
export const HTTP_BODY_MAX_BYTES = 64 * 1024;
export const HTTP_HEADERS_MAX = 50;
export const HTTP_TIMEOUT_MAX_MS = 15 * 60_000;
export const SCRIPT_COMMAND_MAX = 256;
export const SCRIPT_ARGS_MAX = 100;
export const SCRIPT_ARG_MAX = 4096;
export const SCRIPT_ENV_MAX = 100;
export const SCRIPT_TIMEOUT_MAX_MS = 60 * 60_000;
export const NOOP_SLEEP_MAX_MS = 60_000;
/** A job record must fit comfortably in one DynamoDB item (400 KB). */
export const JOB_MAX_BYTES = 256 * 1024;
export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 500;

/** RFC 9110 token: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Length in code points, so that an emoji counts as one character. */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * `Omit<JobInput, "schedule">`, spelled out so that this module does not import
 * job-commands.ts, which imports it.
 */
export interface JobFields {
  name: string;
  target: JobTarget;
  tags: string[];
  owner: string;
}

/** Validates everything in a new job except its schedule. */
export function validateJobInput(input: JobFields): void {
  validateName(input.name);
  validateOwner(input.owner);
  validateTags(input.tags);
  validateTarget(input.target);
  const bytes = Buffer.byteLength(
    JSON.stringify({
      name: input.name,
      owner: input.owner,
      tags: input.tags,
      target: input.target,
    }),
  );
  if (bytes > JOB_MAX_BYTES) {
    throw invalidArgument("target", `job is ${bytes} bytes serialized, at most ${JOB_MAX_BYTES}`);
  }
}

export function validateName(name: string, field = "name"): void {
  const n = chars(name.trim());
  if (n === 0) throw invalidArgument(field, "required");
  if (n > NAME_MAX) throw invalidArgument(field, `at most ${NAME_MAX} characters (got ${n})`);
}

export function validateOwner(owner: string, field = "owner"): void {
  const n = chars(owner.trim());
  if (n === 0) throw invalidArgument(field, "required");
  if (n > OWNER_MAX) throw invalidArgument(field, `at most ${OWNER_MAX} characters (got ${n})`);
}

export function validateTags(tags: readonly string[], field = "tags"): void {
  if (tags.length > TAGS_MAX) {
    throw invalidArgument(field, `at most ${TAGS_MAX} tags (got ${tags.length})`);
  }
  const seen = new Set<string>();
  tags.forEach((tag, i) => {
    if (!TAG_PATTERN.test(tag)) {
      throw invalidArgument(`${field}[${i}]`, "1 to 64 characters of [A-Za-z0-9_.:/-]");
    }
    if (seen.has(tag)) throw invalidArgument(`${field}[${i}]`, `duplicate tag "${tag}"`);
    seen.add(tag);
  });
}

/** One tag used as a filter (ListJobs `tag`). */
export function validateTag(tag: string, field = "tag"): void {
  if (!TAG_PATTERN.test(tag)) {
    throw invalidArgument(field, "1 to 64 characters of [A-Za-z0-9_.:/-]");
  }
}

export function validateJobId(id: string, field = "id"): void {
  if (id === "") throw invalidArgument(field, "required");
  if (!JOB_ID_PATTERN.test(id)) {
    throw invalidArgument(field, "must be job_ followed by 26 lowercase letters and digits");
  }
}

/** An execution id, `<job id>:<scheduled ms>:<attempt>` (GetExecution, dead-run selections). */
export function validateExecutionId(id: string, field = "id"): void {
  if (id === "") throw invalidArgument(field, "required");
  if (parseExecutionId(id) === undefined) {
    throw invalidArgument(field, "must be <job id>:<scheduled ms>:<attempt>");
  }
}

/** Returns the page size to use: 0 means the default. */
export function validatePageSize(n: number, field = "page_size"): number {
  if (n === 0) return PAGE_SIZE_DEFAULT;
  if (!Number.isInteger(n) || n < 0 || n > PAGE_SIZE_MAX) {
    throw invalidArgument(field, `must be 1 to ${PAGE_SIZE_MAX}, or 0 for ${PAGE_SIZE_DEFAULT}`);
  }
  return n;
}

function validateDuration(ms: number, field: string, max: number, allowZero: boolean): void {
  if (!Number.isFinite(ms) || ms < 0 || (!allowZero && ms === 0)) {
    throw invalidArgument(field, allowZero ? "must not be negative" : "must be positive");
  }
  if (ms > max) throw invalidArgument(field, `at most ${max / 1000} s`);
}

export function validateTarget(target: JobTarget, field = "target"): void {
  // The type says one is set, but the value may come from anywhere at run time.
  const t = target as JobTarget | undefined;
  switch (t?.type) {
    case "http":
      validateHttp(t, `${field}.http`);
      return;
    case "script":
      validateScript(t, `${field}.script`);
      return;
    case "noop":
      validateDuration(t.sleepMs, `${field}.noop.sleep`, NOOP_SLEEP_MAX_MS, true);
      return;
    case "webhook":
      validateWebhookTarget(t, `${field}.webhook`);
      return;
    case "file":
      validateFileTarget(t, `${field}.file`);
      return;
    case "database":
      validateDatabaseTarget(t, `${field}.database`);
      return;
    default:
      throw invalidArgument(
        field,
        "required: exactly one of http, script, noop, webhook, file, database",
      );
  }
}

function validateHttp(t: Extract<JobTarget, { type: "http" }>, field: string): void {
  let url: URL;
  try {
    url = new URL(t.url);
  } catch {
    throw invalidArgument(`${field}.url`, "must be an absolute http:// or https:// URL");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw invalidArgument(`${field}.url`, "must be an absolute http:// or https:// URL");
  }
  if (!HTTP_METHODS.includes(t.method)) {
    throw invalidArgument(`${field}.method`, `must be one of ${HTTP_METHODS.join(", ")}`);
  }
  if (t.bodyBase64 !== undefined && t.bodyBase64 !== "") {
    if (t.method === "GET" || t.method === "HEAD") {
      throw invalidArgument(`${field}.body`, `not allowed with ${t.method}`);
    }
    const bytes = Buffer.from(t.bodyBase64, "base64").length;
    if (bytes > HTTP_BODY_MAX_BYTES) {
      throw invalidArgument(`${field}.body`, `at most ${HTTP_BODY_MAX_BYTES} bytes (got ${bytes})`);
    }
  }
  const headers = Object.entries(t.headers);
  if (headers.length > HTTP_HEADERS_MAX) {
    throw invalidArgument(`${field}.headers`, `at most ${HTTP_HEADERS_MAX} headers`);
  }
  for (const [name, value] of headers) {
    if (!HEADER_NAME.test(name)) {
      throw invalidArgument(`${field}.headers`, `invalid header name "${name.slice(0, 64)}"`);
    }
    if (/[\r\n\0]/.test(value)) {
      throw invalidArgument(`${field}.headers`, `value of "${name}" contains CR, LF or NUL`);
    }
  }
  validateDuration(t.timeoutMs, `${field}.timeout`, HTTP_TIMEOUT_MAX_MS, false);
}

function validateScript(t: Extract<JobTarget, { type: "script" }>, field: string): void {
  if (t.command === "") throw invalidArgument(`${field}.command`, "required");
  if (t.command.includes("\0")) throw invalidArgument(`${field}.command`, "contains NUL");
  if (t.command.length > SCRIPT_COMMAND_MAX) {
    throw invalidArgument(`${field}.command`, `at most ${SCRIPT_COMMAND_MAX} characters`);
  }
  if (t.args.length > SCRIPT_ARGS_MAX) {
    throw invalidArgument(`${field}.args`, `at most ${SCRIPT_ARGS_MAX} arguments`);
  }
  t.args.forEach((arg, i) => {
    // A NUL cannot cross execve(2).
    if (arg.includes("\0")) throw invalidArgument(`${field}.args[${i}]`, "contains NUL");
    if (arg.length > SCRIPT_ARG_MAX) {
      throw invalidArgument(`${field}.args[${i}]`, `at most ${SCRIPT_ARG_MAX} characters`);
    }
  });
  const env = Object.entries(t.env);
  if (env.length > SCRIPT_ENV_MAX) {
    throw invalidArgument(`${field}.env`, `at most ${SCRIPT_ENV_MAX} variables`);
  }
  for (const [name, value] of env) {
    if (!ENV_NAME.test(name)) {
      throw invalidArgument(`${field}.env`, `invalid variable name "${name.slice(0, 64)}"`);
    }
    if (loadsCode(name)) {
      throw invalidArgument(
        `${field}.env.${name}`,
        "may not be set by a job: it changes which code the command loads",
      );
    }
    if (value.includes("\0"))
      throw invalidArgument(`${field}.env`, `value of ${name} contains NUL`);
  }
  validateDuration(t.timeoutMs, `${field}.timeout`, SCRIPT_TIMEOUT_MAX_MS, false);
}
