/**
 * The `database` target's flags of `jobs create` / `jobs update`:
 * `--database-connection NAME --sql '...' --param int:42 --max-rows 5`.
 * Parameters are typed (`TYPE:VALUE`), so that `42` can be sent as text or
 * as an integer on purpose; the server checks the values.
 */

import { create } from "@bufbuild/protobuf";
import { NullValue } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError, Option } from "commander";
import {
  type DatabaseParam,
  DatabaseParamSchema,
  type DatabaseTarget,
  DatabaseTargetSchema,
} from "../../gen/chronoring/v1/database_pb.js";
import { UsageError } from "./exit-codes.js";
import { intIn } from "./flag-values.js";

export interface DatabaseFlags {
  databaseConnection?: string;
  sql?: string;
  procedure?: string;
  param?: DatabaseParam[];
  maxRows?: number;
}

/** The detail flags of a database target (besides `--timeout`, which it shares). */
export const DATABASE_DETAIL_FLAGS: Array<keyof DatabaseFlags> = [
  "sql",
  "procedure",
  "param",
  "maxRows",
];

const PARAM_TYPES = "string, int, double, bool, json (TYPE:VALUE) or null";

/** `int:42`, `string:O'Brien`, `json:{"a":1}`, `bool:true`, `double:1.5`, `null`. */
export function parseParam(text: string): DatabaseParam {
  if (text === "null") {
    return create(DatabaseParamSchema, {
      value: { case: "nullValue", value: NullValue.NULL_VALUE },
    });
  }
  const colon = text.indexOf(":");
  const type = colon < 0 ? "" : text.slice(0, colon);
  const value = text.slice(colon + 1);
  switch (type) {
    case "string":
      return create(DatabaseParamSchema, { value: { case: "stringValue", value } });
    case "json":
      return create(DatabaseParamSchema, { value: { case: "jsonValue", value } });
    case "int":
      if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError("int: a whole number");
      return create(DatabaseParamSchema, { value: { case: "intValue", value: BigInt(value) } });
    case "double": {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n)) {
        throw new InvalidArgumentError("double: a finite number");
      }
      return create(DatabaseParamSchema, { value: { case: "doubleValue", value: n } });
    }
    case "bool":
      if (value !== "true" && value !== "false") {
        throw new InvalidArgumentError("bool: true or false");
      }
      return create(DatabaseParamSchema, { value: { case: "boolValue", value: value === "true" } });
    default:
      throw new InvalidArgumentError(`one of ${PARAM_TYPES}`);
  }
}

export function databaseOptions(): Option[] {
  return [
    new Option(
      "--database-connection <name>",
      "database target: a connection named in the workers' CHRONORING_DATABASE_CONNECTIONS",
    ),
    new Option("--sql <statement>", "database: one SQL statement, $1..$n for --param"),
    new Option("--procedure <name>", "database: a procedure to CALL with the --param values"),
    new Option(
      "--param <TYPE:VALUE>",
      `database parameter (repeat, in order): ${PARAM_TYPES}`,
    ).argParser((v: string, prev: DatabaseParam[] | undefined) => [...(prev ?? []), parseParam(v)]),
    new Option("--max-rows <n>", "database: rows kept in the result (default 10)").argParser(
      intIn(0, 1000),
    ),
  ];
}

/** A new database target from `--database-connection`. */
export function newDatabaseTarget(f: DatabaseFlags): DatabaseTarget {
  return create(DatabaseTargetSchema, { connection: f.databaseConnection! });
}

/** Applies the database detail flags onto a target in place. */
export function applyDatabaseFlags(t: DatabaseTarget, f: DatabaseFlags): void {
  if (f.sql !== undefined && f.procedure !== undefined) {
    throw new UsageError("give one of --sql, --procedure");
  }
  if (f.sql !== undefined) t.statement = { case: "sql", value: f.sql };
  if (f.procedure !== undefined) t.statement = { case: "procedure", value: f.procedure };
  if (f.param !== undefined) t.params = f.param;
  if (f.maxRows !== undefined) t.maxRows = f.maxRows;
}
