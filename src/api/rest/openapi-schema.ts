/**
 * JSON Schemas (OpenAPI 3.1, JSON Schema 2020-12) of messages and enums as
 * their proto JSON looks (protobuf.dev/programming-guides/json): lowerCamel
 * field names, 64-bit integers as strings, enums by name, well-known types
 * in their own JSON forms. Each message and enum is one component, named by
 * its full type name and referred to with `$ref`, so recursive messages end.
 */

import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";

export type Schema = Record<string, unknown>;

const INT64 = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

/** The proto JSON of a scalar. */
export function scalarSchema(scalar: ScalarType): Schema {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", minimum: 0, maximum: 4294967295 };
    default:
      // 64-bit values are strings, so that JavaScript keeps every digit.
      return INT64.has(scalar)
        ? { type: "string", format: scalar === ScalarType.UINT64 ? "uint64" : "int64" }
        : { type: "integer", format: "int32" };
  }
}

/** Well-known types whose JSON is not an object of their fields. */
const WELL_KNOWN: Readonly<Record<string, Schema>> = {
  "google.protobuf.Timestamp": {
    type: "string",
    format: "date-time",
    description: "RFC 3339, UTC (`2030-01-01T10:00:00Z`)",
  },
  "google.protobuf.Duration": {
    type: "string",
    pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$",
    description: 'Seconds with an `s` suffix (`"1.5s"`)',
  },
  "google.protobuf.FieldMask": {
    type: "string",
    description: "Comma-separated lowerCamel field paths (`name,retryPolicy`)",
  },
  "google.protobuf.Empty": { type: "object", additionalProperties: false },
  "google.protobuf.Struct": { type: "object" },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array" },
  "google.protobuf.Any": {
    type: "object",
    properties: { "@type": { type: "string" } },
    required: ["@type"],
  },
  "google.protobuf.StringValue": scalarSchema(ScalarType.STRING),
  "google.protobuf.BytesValue": scalarSchema(ScalarType.BYTES),
  "google.protobuf.BoolValue": scalarSchema(ScalarType.BOOL),
  "google.protobuf.DoubleValue": scalarSchema(ScalarType.DOUBLE),
  "google.protobuf.FloatValue": scalarSchema(ScalarType.FLOAT),
  "google.protobuf.Int32Value": scalarSchema(ScalarType.INT32),
  "google.protobuf.UInt32Value": scalarSchema(ScalarType.UINT32),
  "google.protobuf.Int64Value": scalarSchema(ScalarType.INT64),
  "google.protobuf.UInt64Value": scalarSchema(ScalarType.UINT64),
};

/** The OpenAPI component name of a message or enum. */
export function componentName(desc: DescMessage | DescEnum): string {
  return desc.typeName;
}

/** Collects the component schemas of every message and enum reached. */
export class SchemaSet {
  readonly components: Record<string, Schema> = {};

  /** A reference to a message's schema (or its well-known JSON form, inline). */
  message(desc: DescMessage): Schema {
    const known = WELL_KNOWN[desc.typeName];
    if (known) return { ...known };
    const name = componentName(desc);
    if (!this.components[name]) {
      this.components[name] = {}; // taken before the fields: a message may hold itself
      this.components[name] = this.messageSchema(desc);
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  enum(desc: DescEnum): Schema {
    const name = componentName(desc);
    this.components[name] ??= {
      type: "string",
      enum: desc.values.map((v) => v.name),
    };
    return { $ref: `#/components/schemas/${name}` };
  }

  /** The schema of one field's value, as it appears in its message's JSON. */
  field(field: DescField): Schema {
    switch (field.fieldKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return this.enum(field.enum);
      case "message":
        return this.message(field.message);
      case "list":
        return {
          type: "array",
          items:
            field.listKind === "scalar"
              ? scalarSchema(field.scalar)
              : field.listKind === "enum"
                ? this.enum(field.enum)
                : this.message(field.message),
        };
      case "map": {
        const values =
          field.mapKind === "scalar"
            ? scalarSchema(field.scalar)
            : field.mapKind === "enum"
              ? this.enum(field.enum)
              : this.message(field.message);
        // Keys are always strings in JSON; integer and bool keys in their text form.
        return { type: "object", additionalProperties: values };
      }
    }
  }

  private messageSchema(desc: DescMessage): Schema {
    const properties: Record<string, Schema> = {};
    for (const f of desc.fields) properties[f.jsonName] = this.field(f);
    const schema: Schema = { type: "object", properties };
    // A oneof: once one member is set, none of the others may be.
    const dependent: Record<string, Schema> = {};
    for (const oneof of desc.oneofs) {
      const names = oneof.fields.map((f) => f.jsonName);
      for (const name of names) {
        const others = names.filter((n) => n !== name).map((n) => ({ required: [n] }));
        if (others.length > 0) dependent[name] = { not: { anyOf: others } };
      }
    }
    if (Object.keys(dependent).length > 0) {
      schema.dependentSchemas = dependent;
      schema.description = desc.oneofs
        .map((o) => `oneof ${o.name}: at most one of ${o.fields.map((f) => f.jsonName).join(", ")}`)
        .join("; ");
    }
    return schema;
  }
}
