/**
 * The OpenAPI 3.1 document of the REST paths (`GET /openapi.json`), built at
 * start from the same bindings the routing table serves, so that it cannot
 * drift from them: one operation per binding (additional_bindings included),
 * its path and query parameters, the request and response bodies as proto
 * JSON schemas (openapi-schema.ts), the role it needs and the error answers
 * of error-map.ts. The embedded descriptors carry no comments (buf strips
 * source info), so descriptions point to the proto files instead.
 */

import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { accessOf, procedureName } from "../access.js";
import { CODE_TO_HTTP_STATUS } from "../error-map.js";
import { type Binding, fieldAt } from "./bindings.js";
import { type Schema, SchemaSet } from "./openapi-schema.js";
import { openApiPath } from "./path-template.js";
import { queryAliasNames } from "./query-aliases.js";

export const OPENAPI_PATH = "/openapi.json";

/** Answers outside the code table: a path served for other methods, a body too large. */
const TRANSPORT_ERRORS: Readonly<Record<number, string>> = {
  405: "unimplemented: a path served for other methods (`Allow` names them)",
  413: "resource_exhausted: a body over CHRONORING_API_MAX_BODY_BYTES",
};

/** Nested request messages are offered as `a.b` query parameters down to this depth. */
const MAX_QUERY_DEPTH = 3;

export function buildOpenApi(bindings: readonly Binding[]): Record<string, unknown> {
  const schemas = new SchemaSet();
  const paths: Record<string, Record<string, unknown>> = {};
  const seen = new Map<string, number>();
  for (const b of bindings) {
    const base = `${b.rpc.parent.name}_${b.rpc.name}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const path = openApiPath(b.template);
    paths[path] ??= {};
    paths[path][b.httpMethod.toLowerCase()] = operation(
      b,
      n === 1 ? base : `${base}_${n}`,
      schemas,
    );
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Chronoring API",
      version: "v1",
      description:
        "The REST paths of the `google.api.http` annotations in proto/ (docs/rest.md). " +
        "Bodies and answers are proto JSON; every path is also an RPC (Connect, gRPC, gRPC-Web).",
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: { ...schemas.components, Error: ERROR_SCHEMA },
      responses: errorResponses(),
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A JWT with the tenant and roles claims (docs/security.md)",
        },
      },
    },
  };
}

function operation(b: Binding, operationId: string, schemas: SchemaSet): Record<string, unknown> {
  const access = accessOf(b.rpc);
  const op: Record<string, unknown> = {
    operationId,
    tags: [b.rpc.parent.name],
    summary: procedureName(b.rpc),
    description: `${procedureName(b.rpc)} (${b.rpc.parent.file.name}.proto)${
      access && access !== "open" ? `; needs role ${access}` : ""
    }`,
  };
  if (access === "open") op.security = [];
  if (access) op["x-chronoring-role"] = access;
  const parameters: Record<string, unknown>[] = b.template.variables.map((v) => ({
    name: v.fieldPath.join("."),
    in: "path",
    required: true,
    schema: schemas.field(fieldAt(b.rpc.input, v.fieldPath)!),
  }));
  if (b.body !== "*") parameters.push(...queryParameters(b, schemas));
  if (parameters.length > 0) op.parameters = parameters;
  if (b.body !== "") {
    const schema =
      b.body === "*"
        ? schemas.message(b.rpc.input)
        : schemas.field(b.rpc.input.fields.find((f) => f.name === b.body)!);
    op.requestBody = { required: false, content: { "application/json": { schema } } };
  }
  const answer =
    b.responseBody === ""
      ? schemas.message(b.rpc.output)
      : schemas.field(b.rpc.output.fields.find((f) => f.name === b.responseBody)!);
  const responses: Record<string, unknown> = {
    "200": { description: "OK", content: { "application/json": { schema: answer } } },
  };
  for (const status of errorStatuses()) {
    if (access === "open" && (status === 401 || status === 403)) continue;
    if (status === 405 || (status === 413 && b.body === "")) continue;
    responses[String(status)] = { $ref: `#/components/responses/E${status}` };
  }
  op.responses = responses;
  return op;
}

/** The request fields neither the path nor the body binds, by proto name. */
function queryParameters(b: Binding, schemas: SchemaSet): Record<string, unknown>[] {
  const bound = new Set(b.template.variables.map((v) => v.fieldPath.join(".")));
  const out: Record<string, unknown>[] = [];
  const walk = (message: DescMessage, prefix: string, depth: number) => {
    for (const f of message.fields) {
      const name = `${prefix}${f.name}`;
      if (bound.has(name) || (prefix === "" && f.name === b.body)) continue;
      if (isNestedMessage(f)) {
        if (depth < MAX_QUERY_DEPTH) walk(f.message, `${name}.`, depth + 1);
        continue;
      }
      if (f.fieldKind === "map" || (f.fieldKind === "list" && f.listKind === "message")) continue;
      const param: Record<string, unknown> = { name, in: "query", schema: schemas.field(f) };
      if (f.fieldKind === "list") {
        param.style = "form";
        param.explode = true;
      }
      out.push(param);
    }
  };
  walk(b.rpc.input, "", 1);
  for (const [name, stands] of queryAliasNames(b.rpc.input)) {
    out.push({ name, in: "query", description: stands, schema: { type: "string" } });
  }
  return out;
}

/** A message field set from the query through its own fields (not a well-known string form). */
function isNestedMessage(f: DescField): f is DescField & { fieldKind: "message" } {
  return f.fieldKind === "message" && !f.message.typeName.startsWith("google.protobuf.");
}

const ERROR_SCHEMA: Schema = {
  type: "object",
  properties: {
    code: {
      type: "string",
      enum: Object.values(Code)
        .filter((c): c is Code => typeof c === "number")
        .map((c) => codeToString(c)),
      description: "The Connect code's name",
    },
    message: {
      type: "string",
      description: "For invalid_argument it starts with the field's name",
    },
  },
  required: ["code", "message"],
};

function errorStatuses(): number[] {
  const statuses = new Set<number>(Object.values(CODE_TO_HTTP_STATUS));
  for (const s of Object.keys(TRANSPORT_ERRORS)) statuses.add(Number(s));
  return [...statuses].sort((a, b) => a - b);
}

/** One response per status, naming the codes that answer with it. */
function errorResponses(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const status of errorStatuses()) {
    const codes = Object.entries(CODE_TO_HTTP_STATUS)
      .filter(([, s]) => s === status)
      .map(([c]) => codeToString(Number(c) as Code));
    const also = TRANSPORT_ERRORS[status];
    out[`E${status}`] = {
      description: [codes.length > 0 ? codes.join(", ") : undefined, also]
        .filter(Boolean)
        .join("; "),
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  }
  return out;
}
