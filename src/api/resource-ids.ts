/**
 * The resource ids of a request or response, read from its descriptor, so
 * that a new RPC's ids are audited without a rule of its own: the message's
 * own key, string fields named `*_id`, repeated strings named `*_ids`, and
 * the key of each message it holds (`UpdateJobRequest.job.id`, the new job
 * of `CreateJobResponse`, each execution of `RedriveDeadRunsResponse`).
 */

import { type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { MAX_RESOURCE_IDS } from "../core/audit.js";

/**
 * Messages keyed by `name` rather than `id`: calendars, and the requests that
 * name one. (A `name` elsewhere is a display name, not an id.)
 */
const KEYED_BY_NAME = new Set([
  "chronoring.v1.Calendar",
  "chronoring.v1.GetCalendarRequest",
  "chronoring.v1.DeleteCalendarRequest",
]);

type Fields = Record<string, unknown>;

function keyOf(desc: DescMessage, message: unknown): unknown {
  const key = KEYED_BY_NAME.has(desc.typeName) ? "name" : "id";
  const field = desc.fields.find(
    (f) => f.name === key && f.fieldKind === "scalar" && f.scalar === ScalarType.STRING,
  );
  return field && message ? (message as Fields)[field.localName] : undefined;
}

/**
 * Adds the ids of `message` (of type `desc`) to `into`, without duplicates
 * and up to MAX_RESOURCE_IDS in all; returns `into`.
 */
export function resourceIds(desc: DescMessage, message: unknown, into: string[] = []): string[] {
  const add = (value: unknown) => {
    if (typeof value !== "string" || value === "" || into.length >= MAX_RESOURCE_IDS) return;
    if (!into.includes(value)) into.push(value);
  };
  const fields = message as Fields;
  add(keyOf(desc, message));
  for (const f of desc.fields) {
    // A oneof's value sits under the oneof's name; no id lives in one.
    if (f.oneof !== undefined) continue;
    const value = fields[f.localName];
    switch (f.fieldKind) {
      case "scalar":
        if (f.scalar === ScalarType.STRING && f.name.endsWith("_id")) add(value);
        break;
      case "message":
        add(keyOf(f.message, value));
        break;
      case "list":
        if (f.listKind === "scalar" && f.name.endsWith("_ids")) {
          for (const v of value as unknown[]) add(v);
        } else if (f.listKind === "message") {
          for (const v of value as unknown[]) add(keyOf(f.message, v));
        }
        break;
      default:
        break;
    }
  }
  return into;
}
