/**
 * The design documents' flat target form (`"type": "HTTP", "url", "method",
 * "payload", ...`) as a proto JSON `target`. Used by design-json.ts.
 */

import { invalidArgument } from "../../core/errors.js";

type Json = Record<string, unknown>;

/** The keys each type takes beside `type`, as the design writes them. */
const TARGET_KEYS: Readonly<Record<string, readonly string[]>> = {
  HTTP: ["url", "method", "headers", "payload", "timeout", "timeoutMs"],
  WEBHOOK: ["url", "headers", "secret", "payload", "timeout", "timeoutMs"],
  SCRIPT: ["command", "args", "env", "timeout", "timeoutMs"],
  NOOP: ["sleep", "sleepMs"],
};

/** Every key of the flat form, so that one given without `type` is named. */
export const FLAT_TARGET_KEYS: ReadonlySet<string> = new Set([
  "type",
  ...Object.values(TARGET_KEYS).flat(),
]);

/**
 * The proto JSON target of the flat keys of `body` (removed from it), and the
 * renames from proto field paths to the design's names for error messages.
 */
export function flatTarget(body: Json): { target: Json; renames: [string, string][] } {
  const given = typeof body.type === "string" ? body.type.toUpperCase() : undefined;
  if (body.type !== undefined && given === undefined) {
    throw invalidArgument("type", "must be a string: HTTP, WEBHOOK, SCRIPT or NOOP");
  }
  const keys = TARGET_KEYS[given ?? ""];
  if (!keys) {
    throw invalidArgument(
      "type",
      `unknown value "${String(body.type)}"; one of HTTP, WEBHOOK, SCRIPT, NOOP`,
    );
  }
  if (body.target !== undefined)
    throw invalidArgument("type", "give either type or target, not both");
  const kind = given!.toLowerCase();
  const value: Json = {};
  const renames: [string, string][] = [];
  let jsonBody = false;
  for (const key of FLAT_TARGET_KEYS) {
    if (key === "type" || body[key] === undefined) continue;
    if (!keys.includes(key)) throw invalidArgument(key, `not taken by type ${given}`);
    const item = body[key];
    delete body[key];
    if (key === "payload") {
      Object.assign(value, payloadOf(given!, item));
      jsonBody = typeof item !== "string";
      renames.push([`target.${kind}.${given === "HTTP" ? "body" : "payload"}`, "payload"]);
    } else if (key === "timeoutMs" || key === "sleepMs") {
      const field = key.slice(0, -2);
      value[field] = millisToDuration(item, key);
      renames.push([`target.${kind}.${field}`, key]);
    } else {
      value[key] = item;
      renames.push([`target.${kind}.${key}`, key]);
    }
  }
  delete body.type;
  renames.push([`target.${kind}`, ""], ["target", "type"]);
  // A JSON payload over HTTP says what it is unless the headers do.
  const headers = value.headers as Json | undefined;
  const plain = headers === undefined || (typeof headers === "object" && !Array.isArray(headers));
  if (given === "HTTP" && jsonBody && plain && headers !== null) {
    const named = headers && Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
    if (!named) value.headers = { ...(headers ?? {}), "content-type": "application/json" };
  }
  return { target: { [kind]: value }, renames };
}

/**
 * HTTP: the request body; a string is sent as its UTF-8 text, any other JSON
 * value as its JSON text. WEBHOOK: the JSON value the envelope carries as
 * `payload` (a string is a JSON string).
 */
function payloadOf(type: string, payload: unknown): Json {
  if (type === "HTTP") {
    const text = typeof payload === "string" ? payload : JSON.stringify(payload);
    return { body: Buffer.from(text, "utf8").toString("base64") };
  }
  return { payload: JSON.stringify(payload) };
}

/** Milliseconds as a proto JSON Duration (`1500` → `"1.5s"`). */
export function millisToDuration(ms: unknown, field: string): string {
  if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms < 0) {
    throw invalidArgument(field, "must be a whole number of milliseconds, 0 or more");
  }
  const seconds = (ms / 1000).toFixed(3).replace(/\.?0+$/, "");
  return `${seconds}s`;
}
