/**
 * Validation of a `database` target. Pure; each rule has its own message and
 * names the field (`target.database.sql`, `target.database.params[2]`).
 * Whether the connection exists is not known here: only the workers hold the
 * connection settings, so an unknown name fails the run, not the request.
 */

import {
  DATABASE_CONNECTION_PATTERN,
  DATABASE_MAX_ROWS_MAX,
  DATABASE_PARAM_MAX_BYTES,
  DATABASE_PARAMS_MAX,
  DATABASE_SQL_MAX_BYTES,
  DATABASE_TIMEOUT_MAX_MS,
  type DatabaseParam,
  type DatabaseTarget,
  PROCEDURE_PART,
} from "./database-target.js";
import { invalidArgument } from "./errors.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function validateDatabaseTarget(t: DatabaseTarget, field: string): void {
  if (t.connection === "") throw invalidArgument(`${field}.connection`, "required");
  if (!DATABASE_CONNECTION_PATTERN.test(t.connection)) {
    throw invalidArgument(`${field}.connection`, "1 to 64 characters of [a-z0-9-]");
  }
  const hasSql = t.sql !== undefined && t.sql !== "";
  const hasProcedure = t.procedure !== undefined && t.procedure !== "";
  if (hasSql === hasProcedure) {
    throw invalidArgument(field, "exactly one of sql and procedure is required");
  }
  if (hasSql) validateSql(t.sql!, `${field}.sql`);
  else validateProcedure(t.procedure!, `${field}.procedure`);
  if (t.params.length > DATABASE_PARAMS_MAX) {
    throw invalidArgument(
      `${field}.params`,
      `at most ${DATABASE_PARAMS_MAX} parameters (got ${t.params.length})`,
    );
  }
  t.params.forEach((p, i) => {
    validateParam(p, `${field}.params[${i}]`);
  });
  if (!Number.isFinite(t.timeoutMs) || t.timeoutMs <= 0) {
    throw invalidArgument(`${field}.timeout`, "must be positive");
  }
  if (t.timeoutMs > DATABASE_TIMEOUT_MAX_MS) {
    throw invalidArgument(`${field}.timeout`, `at most ${DATABASE_TIMEOUT_MAX_MS / 1000} s`);
  }
  if (!Number.isInteger(t.maxRows) || t.maxRows < 0 || t.maxRows > DATABASE_MAX_ROWS_MAX) {
    throw invalidArgument(`${field}.max_rows`, `0 to ${DATABASE_MAX_ROWS_MAX}`);
  }
}

function validateSql(sql: string, field: string): void {
  if (sql.trim() === "") throw invalidArgument(field, "must not be blank");
  // PostgreSQL text cannot hold NUL; the server would refuse the statement.
  if (sql.includes("\0")) throw invalidArgument(field, "contains NUL");
  const bytes = Buffer.byteLength(sql);
  if (bytes > DATABASE_SQL_MAX_BYTES) {
    throw invalidArgument(field, `at most ${DATABASE_SQL_MAX_BYTES} bytes (got ${bytes})`);
  }
}

function validateProcedure(name: string, field: string): void {
  const parts = name.split(".");
  // Only plain identifiers: the name is spliced into `CALL name(...)`.
  if (parts.length > 2 || !parts.every((part) => PROCEDURE_PART.test(part))) {
    throw invalidArgument(
      field,
      "must be name or schema.name, each part a letter or _ then letters, digits, _ or $ (at most 63)",
    );
  }
}

function validateParam(p: DatabaseParam, field: string): void {
  // The union says a type is set, but the value may come from anywhere at run time.
  switch ((p as DatabaseParam | undefined)?.type) {
    case "string":
      checkText((p as { value: string }).value, `${field}.string_value`);
      return;
    case "json": {
      const text = (p as { value: string }).value;
      checkText(text, `${field}.json_value`);
      try {
        JSON.parse(text);
      } catch {
        throw invalidArgument(`${field}.json_value`, "not valid JSON");
      }
      return;
    }
    case "int": {
      const text = (p as { value: string }).value;
      if (!/^-?\d{1,19}$/.test(text) || BigInt(text) < INT64_MIN || BigInt(text) > INT64_MAX) {
        throw invalidArgument(`${field}.int_value`, "must be a 64-bit integer");
      }
      return;
    }
    case "double":
      if (!Number.isFinite((p as { value: number }).value)) {
        throw invalidArgument(`${field}.double_value`, "must be finite (not NaN or infinity)");
      }
      return;
    case "bool":
    case "null":
      return;
    default:
      throw invalidArgument(
        field,
        "exactly one of string_value, int_value, double_value, bool_value, null_value, json_value",
      );
  }
}

function checkText(text: string, field: string): void {
  if (text.includes("\0")) throw invalidArgument(field, "contains NUL");
  const bytes = Buffer.byteLength(text);
  if (bytes > DATABASE_PARAM_MAX_BYTES) {
    throw invalidArgument(field, `at most ${DATABASE_PARAM_MAX_BYTES} bytes (got ${bytes})`);
  }
}
