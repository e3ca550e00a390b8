/**
 * Database jobs end to end: one process with the API, a scheduler and a
 * worker on the test backends, and a PostgreSQL server of this file's own.
 * Jobs are made through gRPC (and one through REST); what they did is read
 * back from the database and from their executions.
 */

import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Execution, ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { failure, jobClient } from "../../support/client.js";
import { connectionsSetting, usePostgres } from "../../support/postgres.js";
import { waitFor } from "../../support/wait.js";

const NOW = { kind: { case: "after" as const, value: { seconds: 0n, nanos: 0 } } };
const { SUCCEEDED, FAILED, DEAD } = ExecutionStatus;

describe("database jobs", () => {
  const postgres = usePostgres();
  let app: App;
  let jobs: ReturnType<typeof jobClient>;
  let db: pg.Client;

  beforeAll(async () => {
    const server = postgres();
    db = new pg.Client(server);
    await db.connect();
    await db.query(`
      CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL, n bigint, x float8,
                          flag boolean, doc jsonb, nothing text);
      CREATE SEQUENCE tries_40001;
      CREATE SEQUENCE tries_40p01;
      -- Fails the first call with the SQLSTATE given, then succeeds (a sequence is not rolled back).
      CREATE PROCEDURE flaky(tries text, code text) LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval(tries::regclass) < 2 THEN
          RAISE EXCEPTION 'try again' USING ERRCODE = code;
        END IF;
      END $$;`);
    const config = testConfig("database", {
      DATABASE_CONNECTIONS: connectionsSetting(server),
    });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    jobs = jobClient(app.apiUrl!);
  });
  afterAll(async () => {
    await app?.close();
    await db?.end();
  });

  async function runOnce(database: Record<string, unknown>, retryPolicy?: Record<string, unknown>) {
    const { job } = await jobs.createJob({
      name: "db",
      owner: "database-jobs",
      schedule: NOW,
      target: { kind: { case: "database", value: { connection: "main", ...database } } },
      ...(retryPolicy ? { retryPolicy } : {}),
    });
    return job!.id;
  }

  function until(jobId: string, statuses: ExecutionStatus[], timeoutMs = 30_000) {
    const want = statuses.map((s) => ExecutionStatus[s]).join(",");
    return waitFor(
      `attempts of ${jobId} to be ${want}`,
      async () => {
        const { executions } = await jobs.listExecutions({ jobId, pageSize: 100 });
        const list = [...executions].sort((a, b) => a.attempt - b.attempt);
        return list.map((e) => ExecutionStatus[e.status]).join(",") === want ? list : undefined;
      },
      timeoutMs,
    );
  }

  const param = (c: string, value: unknown) => ({ value: { case: c, value } });

  it("INSERTs with bound params of every type; a hostile string stays data", async () => {
    const hostile = "x'); DROP TABLE notes; --";
    const jobId = await runOnce({
      statement: {
        case: "sql",
        value:
          "INSERT INTO notes (body, n, x, flag, doc, nothing) VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING id, body",
      },
      params: [
        param("stringValue", hostile),
        param("intValue", 9_007_199_254_740_993n),
        param("doubleValue", 1.5),
        param("boolValue", true),
        param("jsonValue", '{"a":[1,2]}'),
        param("nullValue", 0),
      ],
    });
    const [run] = await until(jobId, [SUCCEEDED]);
    const result = JSON.parse(run!.result);
    expect(result).toMatchObject({ command: "INSERT", rows_affected: 1, truncated: false });
    expect(result.rows[0].body).toBe(hostile);
    const { rows } = await db.query(
      "SELECT body, n, x, flag, doc, nothing FROM notes WHERE id = $1",
      [result.rows[0].id],
    );
    // int8 comes back as text: the 64-bit value kept every digit.
    expect(rows[0]).toEqual({
      body: hostile,
      n: "9007199254740993",
      x: 1.5,
      flag: true,
      doc: { a: [1, 2] },
      nothing: null,
    });
  });

  it("a SELECT keeps the first max_rows rows and says it was truncated", async () => {
    const jobId = await runOnce({
      statement: { case: "sql", value: "SELECT g AS n FROM generate_series(1, 100000) g" },
      maxRows: 3,
    });
    const [run] = await until(jobId, [SUCCEEDED]);
    expect(JSON.parse(run!.result)).toEqual({
      command: "SELECT",
      rows_affected: null,
      rows: [{ n: 1 }, { n: 2 }, { n: 3 }],
      truncated: true,
    });
  });

  it("a statement past its timeout fails the run", async () => {
    const jobId = await runOnce({
      statement: { case: "sql", value: "SELECT pg_sleep(5)" },
      timeout: { seconds: 0n, nanos: 300_000_000 },
    });
    const [run] = await until(jobId, [FAILED]);
    expect(run!.error).toContain("57014");
    expect(run!.error).toContain("statement timeout");
  });

  it("a serialization failure and a deadlock are retried, a syntax error is not", async () => {
    const retry = {
      strategy: RetryStrategy.ON_FAILURE,
      maxRetries: 2,
      retryDelay: { seconds: 0n, nanos: 200_000_000 },
    };
    for (const code of ["40001", "40P01"]) {
      const jobId = await runOnce(
        {
          statement: { case: "procedure", value: "public.flaky" },
          params: [param("stringValue", `tries_${code.toLowerCase()}`), param("stringValue", code)],
        },
        retry,
      );
      const list = await until(jobId, [FAILED, SUCCEEDED]);
      expect(list[0]!.error).toContain(code);
      expect(JSON.parse(list[1]!.result)).toMatchObject({ command: "CALL" });
    }
    const jobId = await runOnce({ statement: { case: "sql", value: "SELEC 1" } }, retry);
    const list: Execution[] = await until(jobId, [DEAD]);
    expect(list[0]!.error).toContain("42601");
  });

  it("a connection the worker does not hold fails the run, saying so", async () => {
    const { job } = await jobs.createJob({
      name: "db",
      owner: "database-jobs",
      schedule: NOW,
      target: {
        kind: {
          case: "database",
          value: { connection: "nowhere", statement: { case: "sql", value: "SELECT 1" } },
        },
      },
    });
    const [run] = await until(job!.id, [FAILED]);
    expect(run!.error).toBe(
      'unknown database connection "nowhere": this worker\'s CHRONORING_DATABASE_CONNECTIONS holds "main"',
    );
  });

  it("bad input is InvalidArgument naming the field, through gRPC and REST", async () => {
    const err = await failure(() =>
      runOnce({
        statement: { case: "sql", value: "SELECT $1" },
        params: [param("doubleValue", Number.NaN)],
      }),
    );
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.message).toBe(
      "target.database.params[0].double_value: must be finite (not NaN or infinity)",
    );
    const res = await fetch(`${app.apiUrl}/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "rest",
        owner: "database-jobs",
        schedule: { after: "0s" },
        target: {
          database: {
            connection: "main",
            sql: "SELECT $1::int + 1 AS n",
            params: [{ intValue: "41" }, { nullValue: null }],
          },
        },
      }),
    });
    expect(res.status).toBe(200);
    const created = (await res.json()) as { job: { id: string; target: unknown } };
    expect(created.job.target).toMatchObject({
      database: {
        connection: "main",
        sql: "SELECT $1::int + 1 AS n",
        params: [{ intValue: "41" }, { nullValue: null }],
        maxRows: 10,
      },
    });
    const bad = await fetch(`${app.apiUrl}/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "rest",
        owner: "database-jobs",
        schedule: { after: "0s" },
        target: { database: { connection: "Main!", sql: "SELECT 1" } },
      }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe(
      "target.database.connection: 1 to 64 characters of [a-z0-9-]",
    );
    // The run with one param too many fails permanently (08P01), not as a connection error.
    const [run] = await until(created.job.id, [FAILED]);
    expect(run!.error).toContain("08P01");
    expect(timestampMs(run!.endTime!)).toBeGreaterThan(0);
  });
});
