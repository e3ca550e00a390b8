/**
 * `-f FILE`: a message in proto JSON, written as JSON or YAML (`-` reads
 * stdin). Unknown keys and wrong types are refused with the file and the
 * key named (exit 3), before any call.
 */

import { readFile } from "node:fs/promises";
import { type DescMessage, fromJson, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { InputError } from "./exit-codes.js";

async function readText(path: string): Promise<string> {
  if (path !== "-") return readFile(path, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The file's JSON value (YAML is read as YAML, anything else as JSON). */
export async function readJsonValue(path: string): Promise<JsonValue> {
  let text: string;
  try {
    text = await readText(path);
  } catch (err) {
    throw new InputError(`${path}: ${(err as Error).message}`);
  }
  try {
    // The YAML parser (72 modules) loads only for a YAML file, not at every command's start.
    return /\.ya?ml$/i.test(path)
      ? ((await import("yaml")).parse(text) as JsonValue)
      : (JSON.parse(text) as JsonValue);
  } catch (err) {
    throw new InputError(
      `${path}: not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${(err as Error).message}`,
    );
  }
}

/**
 * A message of `schema` from a file, and the top-level fields it sets (proto
 * names, for an update mask). `unwrap` names a member holding the message,
 * as `jobs get --json` prints `{"job": {...}}`: such a file is read too.
 */
export async function readMessageFile<D extends DescMessage>(
  schema: D,
  path: string,
  unwrap?: string,
): Promise<{ message: MessageShape<D>; fields: string[] }> {
  let value = await readJsonValue(path);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`${path}: must hold an object (${schema.typeName} in proto JSON)`);
  }
  const inner = unwrap !== undefined ? value[unwrap] : undefined;
  if (inner !== undefined && Object.keys(value).length === 1) {
    if (typeof inner !== "object" || inner === null || Array.isArray(inner)) {
      throw new InputError(`${path}: "${unwrap}" must be an object`);
    }
    value = inner;
  }
  let message: MessageShape<D>;
  try {
    message = fromJson(schema, value);
  } catch (err) {
    throw new InputError(`${path}: ${(err as Error).message}`);
  }
  const fields = Object.keys(value).map((key) => {
    const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
    return field?.name ?? key;
  });
  return { message, fields };
}
