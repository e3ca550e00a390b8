/**
 * An HTTP request as the proto JSON of the method's request message, the way
 * grpc-gateway and Vanguard read it: the body (all of it for `body: "*"`, or
 * one field), then each path variable, then each query parameter not bound
 * already. The JSON is not parsed into a message here: the Connect handler
 * does that (and answers InvalidArgument naming the bad field), so that a REST
 * call is decoded exactly as a Connect JSON call is.
 */

import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { invalidArgument } from "../../core/errors.js";
import type { Binding } from "./bindings.js";
import { queryAlias } from "./query-aliases.js";

type Json = Record<string, unknown>;

/** The request message's proto JSON. Throws InvalidArgument (ChronoringError) on bad input. */
export function transcodeRequest(
  binding: Binding,
  variables: ReadonlyMap<string, string>,
  query: URLSearchParams,
  body: unknown,
): Json {
  const input = binding.rpc.input;
  let request: Json = {};
  if (binding.body === "*") {
    request = asObject(body, "body");
  } else if (binding.body !== "") {
    const field = input.fields.find((f) => f.name === binding.body)!;
    request[field.jsonName] = body === undefined ? {} : body;
  } else if (body !== undefined) {
    throw invalidArgument("body", `${binding.httpMethod} ${binding.template.source} takes no body`);
  }
  for (const [path, value] of variables) {
    setAt(input, request, path.split("."), [value], "path");
  }
  if (binding.body !== "*") {
    for (const key of new Set(query.keys())) {
      const values = query.getAll(key);
      const alias = queryAlias(input, key, values);
      for (const [name, aliased] of alias ?? [[key, values] as const]) {
        setAt(input, request, name.split("."), aliased, "query");
      }
    }
  }
  return request;
}

function asObject(value: unknown, where: string): Json {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(where, "must be a JSON object");
  }
  return value as Json;
}

/**
 * Sets a field given by its path (proto or JSON names) from text values.
 * A path variable wins over the body (as in grpc-gateway); a query parameter
 * never overrides the body or the path.
 */
function setAt(
  message: DescMessage,
  request: Json,
  path: readonly string[],
  values: readonly string[],
  from: "path" | "query",
): void {
  const name = path.join(".");
  let current: DescMessage | undefined = message;
  let target = request;
  for (let k = 0; k < path.length; k++) {
    const field: DescField | undefined = current?.fields.find(
      (f) => f.name === path[k] || f.jsonName === path[k],
    );
    if (!field) throw invalidArgument(name, `unknown ${from} parameter`);
    if (k < path.length - 1) {
      if (field.fieldKind !== "message") throw invalidArgument(name, `unknown ${from} parameter`);
      const next = target[field.jsonName];
      const child = (next && typeof next === "object" ? next : {}) as Json;
      target[field.jsonName] = child;
      target = child;
      current = field.message;
      continue;
    }
    if (from === "query" && target[field.jsonName] !== undefined) return;
    target[field.jsonName] = fieldValue(field, values, name);
  }
}

function fieldValue(field: DescField, values: readonly string[], name: string): unknown {
  if (field.fieldKind === "map") throw invalidArgument(name, "a map cannot be set from the URL");
  if (field.fieldKind === "list") {
    const items = values.flatMap((v) => v.split(","));
    return field.listKind === "enum" ? items.map((v) => enumName(field.enum, v, name)) : items;
  }
  if (values.length > 1) throw invalidArgument(name, "given more than once");
  const value = values[0]!;
  switch (field.fieldKind) {
    case "enum":
      return enumName(field.enum, value, name);
    case "message":
      // Well-known types whose JSON is a string: FieldMask, Timestamp, Duration.
      if (field.message.typeName === "google.protobuf.FieldMask") {
        return value
          .split(",")
          .map((p) => p.trim().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
          .join(",");
      }
      return value;
    default:
      if (field.scalar === ScalarType.BOOL) {
        if (value !== "true" && value !== "false")
          throw invalidArgument(name, "must be true or false");
        return value === "true";
      }
      return value;
  }
}

/**
 * An enum value by its name, or by the short form (`paused` for
 * `JOB_STATUS_PAUSED`); InvalidArgument naming the field and the forms taken.
 */
function enumName(e: DescEnum, given: string, name: string): string {
  if (e.values.some((v) => v.name === given)) return given;
  const prefix = e.sharedPrefix?.toUpperCase() ?? "";
  const upper = given.toUpperCase();
  const short = e.values.find((v) => v.name === `${prefix}${upper}` || v.name === upper);
  if (short) return short.name;
  const forms = e.values
    .filter((v) => v.number !== 0)
    .map((v) => v.name.slice(prefix.length).toLowerCase());
  throw invalidArgument(name, `unknown value "${given}"; one of ${forms.join(", ")}`);
}
