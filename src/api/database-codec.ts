/**
 * Proto ↔ domain conversion of the `database` target (codec.ts calls it).
 * Only what the wire can get wrong is checked here; the rules live in
 * `core/validate-database-target.ts`.
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs, NullValue } from "@bufbuild/protobuf/wkt";
import {
  type DatabaseParam as DatabaseParamPb,
  DatabaseParamSchema,
  type DatabaseTarget as DatabaseTargetPb,
  DatabaseTargetSchema,
} from "../../gen/chronoring/v1/database_pb.js";
import {
  DATABASE_MAX_ROWS_DEFAULT,
  DATABASE_TIMEOUT_DEFAULT_MS,
  type DatabaseParam,
  type DatabaseTarget,
} from "../core/database-target.js";
import { invalidArgument } from "../core/errors.js";
import { msFromDuration } from "./duration.js";

/** Converts a DatabaseTarget, filling the defaults (30 s, 10 rows). */
export function databaseTargetFromProto(d: DatabaseTargetPb, field: string): DatabaseTarget {
  const target: DatabaseTarget = {
    type: "database",
    connection: d.connection,
    params: d.params.map((p, i) => paramFromProto(p, `${field}.params[${i}]`)),
    timeoutMs: d.timeout
      ? msFromDuration(d.timeout, `${field}.timeout`)
      : DATABASE_TIMEOUT_DEFAULT_MS,
    maxRows: d.maxRows === 0 ? DATABASE_MAX_ROWS_DEFAULT : d.maxRows,
  };
  if (d.statement.case === "sql") target.sql = d.statement.value;
  if (d.statement.case === "procedure") target.procedure = d.statement.value;
  return target;
}

function paramFromProto(p: DatabaseParamPb, field: string): DatabaseParam {
  const v = p.value;
  switch (v.case) {
    case "stringValue":
      return { type: "string", value: v.value };
    case "intValue":
      return { type: "int", value: v.value.toString() };
    case "doubleValue":
      return { type: "double", value: v.value };
    case "boolValue":
      return { type: "bool", value: v.value };
    case "nullValue":
      return { type: "null" };
    case "jsonValue":
      return { type: "json", value: v.value };
    default:
      throw invalidArgument(
        field,
        "exactly one of string_value, int_value, double_value, bool_value, null_value, json_value",
      );
  }
}

export function databaseTargetToProto(t: DatabaseTarget): DatabaseTargetPb {
  return create(DatabaseTargetSchema, {
    connection: t.connection,
    statement:
      t.procedure !== undefined
        ? { case: "procedure", value: t.procedure }
        : { case: "sql", value: t.sql ?? "" },
    params: t.params.map(paramToProto),
    timeout: durationFromMs(t.timeoutMs),
    maxRows: t.maxRows,
  });
}

function paramToProto(p: DatabaseParam): DatabaseParamPb {
  switch (p.type) {
    case "string":
      return create(DatabaseParamSchema, { value: { case: "stringValue", value: p.value } });
    case "int":
      return create(DatabaseParamSchema, { value: { case: "intValue", value: BigInt(p.value) } });
    case "double":
      return create(DatabaseParamSchema, { value: { case: "doubleValue", value: p.value } });
    case "bool":
      return create(DatabaseParamSchema, { value: { case: "boolValue", value: p.value } });
    case "null":
      return create(DatabaseParamSchema, {
        value: { case: "nullValue", value: NullValue.NULL_VALUE },
      });
    case "json":
      return create(DatabaseParamSchema, { value: { case: "jsonValue", value: p.value } });
  }
}
