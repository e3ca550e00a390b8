/**
 * The `database` job target: SQL or a stored procedure run against a
 * PostgreSQL database that the worker knows by name. Kept apart from
 * `job.ts` so that the rules of this target live beside its type.
 */

/**
 * One bound parameter. Integers are kept as decimal text so that a 64-bit
 * value survives the JSON the store keeps targets in.
 */
export type DatabaseParam =
  | { type: "string"; value: string }
  | { type: "int"; value: string }
  | { type: "double"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "null" }
  | { type: "json"; value: string };

export type DatabaseParamType = DatabaseParam["type"];

/** Runs `sql`, or `CALL procedure(...)`, with `params` bound as $1..$n; see proto DatabaseTarget. */
export interface DatabaseTarget {
  type: "database";
  /** A name from the worker's CHRONORING_DATABASE_CONNECTIONS; never an address or password. */
  connection: string;
  /** Exactly one of `sql` and `procedure` is set. */
  sql?: string;
  /** `name` or `schema.name`. */
  procedure?: string;
  params: DatabaseParam[];
  /** The statement timeout. */
  timeoutMs: number;
  /** Rows kept in the result. */
  maxRows: number;
}

export const DATABASE_CONNECTION_PATTERN = /^[a-z0-9-]{1,64}$/;
export const DATABASE_TIMEOUT_DEFAULT_MS = 30_000;
export const DATABASE_TIMEOUT_MAX_MS = 60 * 60_000;
export const DATABASE_MAX_ROWS_DEFAULT = 10;
export const DATABASE_MAX_ROWS_MAX = 1000;
export const DATABASE_SQL_MAX_BYTES = 64 * 1024;
export const DATABASE_PARAMS_MAX = 100;
export const DATABASE_PARAM_MAX_BYTES = 64 * 1024;
/** One identifier part of a procedure name, unquoted (PostgreSQL's NAMEDATALEN - 1 = 63 bytes). */
export const PROCEDURE_PART = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** The statement a target runs: its SQL, or `CALL name($1, ..., $n)`. */
export function databaseStatement(target: DatabaseTarget): string {
  if (target.procedure === undefined) return target.sql ?? "";
  const placeholders = target.params.map((_, i) => `$${i + 1}`).join(", ");
  // Safe to splice: validation allows only plain identifier parts here.
  return `CALL ${target.procedure}(${placeholders})`;
}

/**
 * Where a named connection goes, as a worker's CHRONORING_DATABASE_CONNECTIONS
 * describes it. Only workers hold these; a job carries just the name.
 */
export interface DatabaseConnectionSettings {
  /** A host name or address, or a directory holding PostgreSQL's unix socket. */
  host: string;
  port: number;
  database: string;
  user: string;
  /** The password itself; or */
  password?: string;
  /** a file read at each new connection, so that a rotated secret is picked up. */
  passwordFile?: string;
  /** TLS: off, on with the server's certificate verified, or on without verification. */
  ssl: "off" | "verify" | "no-verify";
  /** Connections this worker keeps open to it at most. */
  maxConnections: number;
}
