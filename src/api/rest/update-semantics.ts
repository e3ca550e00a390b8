/**
 * PUT and PATCH of a method with an `update_mask` and a body field (AIP-134):
 * PUT replaces every updatable field (mask `*`: what the body leaves out is
 * cleared); PATCH changes the fields present in the body. An `update_mask`
 * query parameter, when given, is taken as is for both.
 */

import type { Binding } from "./bindings.js";

const MASK = "update_mask";

export function applyUpdateMask(
  binding: Binding,
  request: Record<string, unknown>,
  body: unknown,
): void {
  const mask = binding.rpc.input.fields.find((f) => f.name === MASK);
  if (mask?.fieldKind !== "message" || mask.message.typeName !== "google.protobuf.FieldMask")
    return;
  if (binding.body === "" || binding.body === "*") return;
  if (request[mask.jsonName] !== undefined) return;
  if (binding.httpMethod === "PUT") {
    request[mask.jsonName] = "*";
    return;
  }
  if (binding.httpMethod !== "PATCH") return;
  const bodyField = binding.rpc.input.fields.find((f) => f.name === binding.body);
  if (bodyField?.fieldKind !== "message") return;
  // Fields the path binds (the id) name the resource; they are not changed.
  const bound = new Set(
    binding.template.variables
      .filter((v) => v.fieldPath.length === 2 && v.fieldPath[0] === binding.body)
      .map((v) => v.fieldPath[1]),
  );
  const present =
    body !== null && typeof body === "object" && !Array.isArray(body) ? Object.keys(body) : [];
  const paths = present
    .map((key) => bodyField.message.fields.find((f) => f.name === key || f.jsonName === key))
    .filter((f) => f !== undefined && !bound.has(f.name))
    .map((f) => f!.jsonName);
  // Unknown keys stay out of the mask: the JSON parser refuses them by name.
  request[mask.jsonName] = paths.join(",");
}
