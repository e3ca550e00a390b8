import { describe, expect, it } from "vitest";
import { parseParam } from "../../../src/cli/job-flags-database.js";
import { ConfigError } from "../../../src/config/config.js";
import { databaseConnections } from "../../../src/config/database-connections.js";
import type { DatabaseTarget } from "../../../src/core/database-target.js";
import { databaseStatement } from "../../../src/core/database-target.js";
import { validateDatabaseTarget } from "../../../src/core/validate-database-target.js";
import { classifyDatabaseError } from "../../../src/worker/handlers/database-errors.js";
import { bindValues } from "../../../src/worker/handlers/database-params.js";
import { formatDatabaseResult } from "../../../src/worker/handlers/database-result.js";

const good: DatabaseTarget = {
  type: "database",
  connection: "reports",
  sql: "SELECT 1",
  params: [],
  timeoutMs: 30_000,
  maxRows: 10,
};

function refusal(change: Record<string, unknown>): string {
  try {
    validateDatabaseTarget({ ...good, ...change } as DatabaseTarget, "target.database");
  } catch (err) {
    return (err as Error).message;
  }
  return "accepted";
}

describe("database target validation", () => {
  it.each([
    [{ connection: "" }, "target.database.connection: required"],
    [{ connection: "Reports" }, "target.database.connection: 1 to 64 characters of [a-z0-9-]"],
    [{ connection: "a".repeat(65) }, "target.database.connection: 1 to 64 characters of [a-z0-9-]"],
    [{ sql: undefined }, "target.database: exactly one of sql and procedure is required"],
    [{ procedure: "p" }, "target.database: exactly one of sql and procedure is required"],
    [{ sql: "  " }, "target.database.sql: must not be blank"],
    [{ sql: "SELECT '\0'" }, "target.database.sql: contains NUL"],
    [{ sql: "x".repeat(65_537) }, "target.database.sql: at most 65536 bytes (got 65537)"],
    [
      { sql: undefined, procedure: "a.b.c" },
      "target.database.procedure: must be name or schema.name, each part a letter or _ then letters, digits, _ or $ (at most 63)",
    ],
    [
      { sql: undefined, procedure: "x(); DROP TABLE t" },
      "target.database.procedure: must be name or schema.name, each part a letter or _ then letters, digits, _ or $ (at most 63)",
    ],
    [
      { params: Array.from({ length: 101 }, () => ({ type: "null" })) },
      "target.database.params: at most 100 parameters (got 101)",
    ],
    [
      { params: [{ type: "int", value: "9223372036854775808" }] },
      "target.database.params[0].int_value: must be a 64-bit integer",
    ],
    [
      { params: [{ type: "double", value: Number.POSITIVE_INFINITY }] },
      "target.database.params[0].double_value: must be finite (not NaN or infinity)",
    ],
    [
      { params: [{ type: "string", value: "a\0" }] },
      "target.database.params[0].string_value: contains NUL",
    ],
    [
      { params: [{ type: "json", value: "{nope" }] },
      "target.database.params[0].json_value: not valid JSON",
    ],
    [
      { params: [{}] },
      "target.database.params[0]: exactly one of string_value, int_value, double_value, bool_value, null_value, json_value",
    ],
    [{ timeoutMs: 0 }, "target.database.timeout: must be positive"],
    [{ timeoutMs: 3_600_001 }, "target.database.timeout: at most 3600 s"],
    [{ maxRows: 1001 }, "target.database.max_rows: 0 to 1000"],
  ])("refuses bad input #%#", (change, message) => {
    expect(refusal(change)).toBe(message);
  });

  it("accepts a procedure with params of every type", () => {
    expect(
      refusal({
        sql: undefined,
        procedure: "ops.refresh_stats",
        params: [
          { type: "string", value: "x" },
          { type: "int", value: "-9223372036854775808" },
          { type: "double", value: 0.5 },
          { type: "bool", value: true },
          { type: "null" },
          { type: "json", value: "[1]" },
        ],
      }),
    ).toBe("accepted");
  });

  it("calls a procedure with one placeholder per param", () => {
    const t = {
      ...good,
      sql: undefined,
      procedure: "ops.refresh",
      params: [{ type: "null" as const }, { type: "bool" as const, value: true }],
    };
    expect(databaseStatement(t)).toBe("CALL ops.refresh($1, $2)");
  });
});

describe("database error classification", () => {
  it.each([
    ["40001", true],
    ["40P01", true],
    ["57P01", true],
    ["57014", true],
    ["08006", true],
    ["53300", true],
    ["08P01", false],
    ["42601", false],
    ["42P01", false],
    ["23505", false],
    ["22P02", false],
    ["28P01", false],
    ["P0001", false],
  ])("SQLSTATE %s: retryable %s", (code, retryable) => {
    expect(
      classifyDatabaseError(Object.assign(new Error("boom"), { code, severity: "ERROR" })),
    ).toEqual({
      retryable,
      summary: `ERROR ${code}: boom`,
    });
  });

  it("a socket error (no SQLSTATE) is a retryable connection failure", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
    });
    expect(classifyDatabaseError(err)).toEqual({
      retryable: true,
      summary: "connection failed: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)",
    });
  });
});

describe("database params and result", () => {
  it("binds each type as pg sends it: ints as decimal text, JSON as its text", () => {
    expect(
      bindValues([
        { type: "string", value: "'); DROP TABLE t; --" },
        { type: "int", value: "9007199254740993" },
        { type: "double", value: 1.5 },
        { type: "bool", value: false },
        { type: "null" },
        { type: "json", value: '{"a":1}' },
      ]),
    ).toEqual(["'); DROP TABLE t; --", "9007199254740993", 1.5, false, null, '{"a":1}']);
  });

  it("keeps max_rows rows and marks the rest truncated", () => {
    const rows = [{ n: 1 }, { n: 2 }, { n: 3 }];
    expect(
      JSON.parse(formatDatabaseResult({ command: "SELECT", rowsAffected: 3, rows }, 2, 4096)),
    ).toEqual({
      command: "SELECT",
      rows_affected: 3,
      rows: [{ n: 1 }, { n: 2 }],
      truncated: true,
    });
    expect(
      JSON.parse(formatDatabaseResult({ command: "UPDATE", rowsAffected: 7, rows: [] }, 10, 4096)),
    ).toEqual({
      command: "UPDATE",
      rows_affected: 7,
      rows: [],
      truncated: false,
    });
  });

  it("drops rows that do not fit the size limit, and stays valid JSON within it", () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ i, text: "é".repeat(100) }));
    const text = formatDatabaseResult({ command: "SELECT", rowsAffected: 10, rows }, 10, 700);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(700);
    const parsed = JSON.parse(text);
    expect(parsed.truncated).toBe(true);
    expect(parsed.rows.length).toBeGreaterThan(0);
    expect(parsed.rows.length).toBeLessThan(10);
  });
});

describe("CHRONORING_DATABASE_CONNECTIONS", () => {
  it("reads a JSON object with defaults", () => {
    expect(
      databaseConnections(
        '{"reports":{"host":"db","database":"r","user":"u","password_file":"/s","ssl":true}}',
      ),
    ).toEqual({
      reports: {
        host: "db",
        port: 5432,
        database: "r",
        user: "u",
        passwordFile: "/s",
        ssl: "verify",
        maxConnections: 4,
      },
    });
    expect(databaseConnections("")).toEqual({});
  });

  it.each([
    ["[]", "CHRONORING_DATABASE_CONNECTIONS: must be a JSON object of connections"],
    [
      '{"Bad":{}}',
      'CHRONORING_DATABASE_CONNECTIONS: "Bad": names are 1 to 64 characters of [a-z0-9-]',
    ],
    [
      '{"a":{"host":"h","database":"d"}}',
      "CHRONORING_DATABASE_CONNECTIONS.a.user: must be a non-empty string",
    ],
    [
      '{"a":{"host":"h","database":"d","user":"u","password":"p","password_file":"/f"}}',
      "CHRONORING_DATABASE_CONNECTIONS.a: give password or password_file, not both",
    ],
    [
      '{"a":{"host":"h","database":"d","user":"u","port":70000}}',
      "CHRONORING_DATABASE_CONNECTIONS.a.port: must be an integer from 1 to 65535",
    ],
    [
      '{"a":{"host":"h","database":"d","user":"u","sll":true}}',
      'CHRONORING_DATABASE_CONNECTIONS.a: unknown key "sll" (host, port, database, user, password, password_file, ssl, max_connections)',
    ],
    [
      "/nonexistent/connections.json",
      'CHRONORING_DATABASE_CONNECTIONS: cannot read "/nonexistent/connections.json"',
    ],
  ])("refuses setting #%#", (raw, message) => {
    expect(() => databaseConnections(raw)).toThrow(ConfigError);
    expect(() => databaseConnections(raw)).toThrow(message);
  });
});

describe("the CLI's --param", () => {
  it("reads TYPE:VALUE, keeping everything after the first colon", () => {
    expect(parseParam("string:a:b").value).toEqual({ case: "stringValue", value: "a:b" });
    expect(parseParam("int:-42").value).toEqual({ case: "intValue", value: -42n });
    expect(parseParam("double:2.5").value).toEqual({ case: "doubleValue", value: 2.5 });
    expect(parseParam("bool:true").value).toEqual({ case: "boolValue", value: true });
    expect(parseParam('json:{"a":1}').value).toEqual({ case: "jsonValue", value: '{"a":1}' });
    expect(parseParam("null").value.case).toBe("nullValue");
  });

  it.each(["42", "int:4.2", "bool:yes", "double:nan", "text:x"])("refuses %s", (text) => {
    expect(() => parseParam(text)).toThrow();
  });
});
