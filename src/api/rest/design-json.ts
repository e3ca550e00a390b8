/**
 * The design documents' job JSON, taken by CreateJob and UpdateJob bodies
 * beside proto JSON (docs/rest.md "Design JSON"):
 *
 *     {"name": "report", "userId": "team-a", "priority": "HIGH",
 *      "schedule": "cron(0 10 * * ? *)", "timezone": "Europe/Berlin",
 *      "retryPolicy": {"strategy": "ON_FAILURE", "maxRetries": 3,
 *                      "backoff": "EXPONENTIAL", "retryDelayMs": 1000},
 *      "type": "HTTP", "url": "https://example.com/hook", "method": "POST",
 *      "payload": {"report": "daily"}}
 *
 * Each design form is one proto JSON cannot hold (a string `schedule`, a key
 * that is no field of Job, a `priority` or retry enum without its prefix,
 * `retryDelayMs`), so a body in proto JSON passes unchanged and a body in the
 * design's form would be refused by the proto JSON parser: no body is read
 * two ways. Members are converted one by one, so proto members may be mixed in.
 *
 * Errors of the conversion name the design's fields; errors found later (by
 * validation, naming proto paths) are renamed back with `renameField`.
 */

import { invalidArgument } from "../../core/errors.js";
import { FLAT_TARGET_KEYS, flatTarget, millisToDuration } from "./design-target.js";

type Json = Record<string, unknown>;

export interface DesignConversion {
  /** The body as proto JSON. */
  body: unknown;
  /** Proto field path prefixes (`schedule.cron`) and the design names they stand for. */
  renames: [string, string][];
}

/**
 * Where a method's body may be design JSON: the prefix of its fields in the
 * request ("" for CreateJob's whole body, "job." for UpdateJob's `job`), or
 * undefined for every other method and body.
 */
export function designPrefix(inputType: string, body: string): string | undefined {
  if (inputType === "chronoring.v1.CreateJobRequest" && body === "*") return "";
  if (inputType === "chronoring.v1.UpdateJobRequest" && body === "job") return "job.";
  return undefined;
}

const OWNER_KEYS = ["userId", "user_id"] as const;
const RETRY_ENUMS = { strategy: "RETRY_STRATEGY_", backoff: "BACKOFF_" } as const;
const RETRY_MILLIS = { retryDelayMs: "retryDelay", maxDelayMs: "maxDelay" } as const;

/** The proto JSON of a job body given in either form; `prefix` is "job." for UpdateJob. */
export function fromDesignJson(body: unknown, prefix = ""): DesignConversion {
  if (!isObject(body)) return { body, renames: [] };
  const out: Json = { ...body };
  const renames: [string, string][] = [];

  for (const key of OWNER_KEYS) {
    if (out[key] === undefined) continue;
    if (out.owner !== undefined && out.owner !== out[key]) {
      throw invalidArgument(key, "differs from owner; give one of them");
    }
    out.owner = out[key];
    delete out[key];
    renames.push(["owner", key]);
  }

  if (typeof out.priority === "string" && !out.priority.startsWith("PRIORITY_")) {
    out.priority = enumName(out.priority, "PRIORITY_", ["HIGH", "MEDIUM", "LOW"], "priority");
  }

  const zone = out.timezone;
  delete out.timezone;
  if (typeof out.schedule === "string") {
    const spec = out.schedule.trim();
    const kind = /^rate\s*\(/i.test(spec) ? "interval" : "cron";
    out.schedule = { [kind]: spec };
    renames.push([`schedule.${kind}`, "schedule"]);
  }
  if (zone !== undefined) {
    if (typeof zone !== "string")
      throw invalidArgument("timezone", "must be a string (an IANA zone)");
    if (!isObject(out.schedule)) throw invalidArgument("timezone", "needs a schedule");
    out.schedule = { ...out.schedule, timeZone: zone };
    renames.push(["schedule.time_zone", "timezone"]);
  }

  for (const key of ["retryPolicy", "retry_policy"]) {
    const policy = out[key];
    if (!isObject(policy)) continue;
    const converted = retryPolicy(policy, key);
    out[key] = converted.policy;
    renames.push(...converted.renames);
  }

  if ([...FLAT_TARGET_KEYS].some((k) => out[k] !== undefined)) {
    if (out.type === undefined) {
      const key = [...FLAT_TARGET_KEYS].find((k) => out[k] !== undefined)!;
      throw invalidArgument(key, "needs type (HTTP, WEBHOOK, SCRIPT or NOOP)");
    }
    const { target, renames: targetRenames } = flatTarget(out);
    out.target = target;
    renames.push(...targetRenames);
  }
  return { body: out, renames: renames.map(([from, to]) => [`${prefix}${from}`, to]) };
}

function retryPolicy(policy: Json, key: string): { policy: Json; renames: [string, string][] } {
  const out: Json = { ...policy };
  const renames: [string, string][] = [];
  for (const [field, enumPrefix] of Object.entries(RETRY_ENUMS)) {
    const value = out[field];
    if (typeof value === "string" && !value.startsWith(enumPrefix)) {
      const names =
        field === "strategy" ? ["NONE", "ON_FAILURE", "ALWAYS"] : ["FIXED", "EXPONENTIAL"];
      out[field] = enumName(value, enumPrefix, names, `${key}.${field}`);
    }
  }
  for (const [millis, field] of Object.entries(RETRY_MILLIS)) {
    if (out[millis] === undefined) continue;
    if (out[field] !== undefined)
      throw invalidArgument(`${key}.${millis}`, `give it or ${field}, not both`);
    out[field] = millisToDuration(out[millis], `${key}.${millis}`);
    delete out[millis];
    renames.push([
      `retry_policy.${field === "retryDelay" ? "retry_delay" : "max_delay"}`,
      `${key}.${millis}`,
    ]);
  }
  // The design's names only for a policy written in the design's form.
  if (JSON.stringify(out) !== JSON.stringify(policy)) renames.push(["retry_policy", key]);
  return { policy: out, renames };
}

function enumName(given: string, prefix: string, names: readonly string[], field: string): string {
  const upper = given.toUpperCase();
  if (!names.includes(upper)) {
    throw invalidArgument(field, `unknown value "${given}"; one of ${names.join(", ")}`);
  }
  return `${prefix}${upper}`;
}

/**
 * An error message whose leading field path is one the conversion produced,
 * with the design's name instead (`schedule.cron: bad field` → `schedule: bad
 * field`). The longest prefix wins.
 */
export function renameField(message: string, renames: readonly [string, string][]): string {
  const match = /^[A-Za-z0-9_.[\]]+/.exec(message);
  if (!match) return message;
  const path = match[0];
  let best: [string, string] | undefined;
  for (const r of renames) {
    const fits = path === r[0] || path.startsWith(`${r[0]}.`) || path.startsWith(`${r[0]}[`);
    if (fits && (!best || r[0].length > best[0].length)) best = r;
  }
  if (!best) return message;
  let rest = path.slice(best[0].length);
  // A design name that stands for a whole subtree (`schedule` for schedule.cron).
  if (WHOLE.has(best[1])) rest = "";
  // The design's fields are lowerCamel (retryPolicy.maxRetries).
  if (best[0].endsWith("retry_policy"))
    rest = rest.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  // "" lifts a subtree to the top: target.http.method → method.
  const name = best[1] === "" ? rest.replace(/^\./, "") || "type" : `${best[1]}${rest}`;
  return `${name}${message.slice(path.length)}`;
}

const WHOLE = new Set(["schedule", "payload", "type", "timezone", "timeoutMs", "sleepMs"]);

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
