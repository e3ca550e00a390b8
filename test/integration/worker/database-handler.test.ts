/**
 * The database handler on a real PostgreSQL server, below the worker: a run
 * cancelled mid-query cancels the query on the server; a password file is
 * read; a session setting of one job does not reach the next.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseTarget } from "../../../src/core/database-target.js";
import { createDatabaseHandler } from "../../../src/worker/handlers/database.js";
import {
  createDatabasePools,
  type DatabasePools,
} from "../../../src/worker/handlers/database-pools.js";
import type { RunContext } from "../../../src/worker/handlers/handler.js";
import { silentLogger } from "../../support/app.js";
import { usePostgres } from "../../support/postgres.js";
import { waitFor } from "../../support/wait.js";

describe("the database handler", () => {
  const postgres = usePostgres();
  let pools: DatabasePools;
  let db: pg.Client;

  beforeAll(async () => {
    const s = postgres();
    const secret = join(mkdtempSync(join(tmpdir(), "chronoring-pw-")), "password");
    writeFileSync(secret, `${s.password}\n`);
    const base = { host: s.host, port: s.port, database: s.database, user: s.user };
    pools = createDatabasePools(
      {
        main: { ...base, passwordFile: secret, ssl: "off", maxConnections: 1 },
        wrong: { ...base, password: "not-it", ssl: "off", maxConnections: 1 },
      },
      { logger: silentLogger },
    );
    db = new pg.Client(s);
    await db.connect();
  });
  afterAll(async () => {
    await pools?.close();
    await db?.end();
  });

  const handler = () => createDatabaseHandler({ pools, graceMs: 2_000 });
  const target = (sql: string, more: Partial<DatabaseTarget> = {}): DatabaseTarget => ({
    type: "database",
    connection: "main",
    sql,
    params: [],
    timeoutMs: 30_000,
    maxRows: 10,
    ...more,
  });
  const ctx = (signal = new AbortController().signal): RunContext => ({
    executionId: "job_x:1:1",
    jobId: "job_x",
    scheduledMs: 1,
    attempt: 1,
    signal,
    logger: silentLogger,
  });

  it("a run aborted mid-query cancels the query on the server", async () => {
    const abort = new AbortController();
    const running = handler().run(target("SELECT pg_sleep(30) /* cancel-me */"), ctx(abort.signal));
    const active = () =>
      db
        .query(
          "SELECT pid FROM pg_stat_activity WHERE query LIKE '%cancel-me%' AND state = 'active' AND pid <> pg_backend_pid()",
        )
        .then((r) => r.rows);
    await waitFor("the query to run", async () => ((await active()).length > 0 ? true : undefined));
    abort.abort(new Error("run cancelled"));
    const result = await running;
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(result.summary).toBe("aborted: run cancelled (query cancelled)");
    await waitFor("the query to stop", async () =>
      (await active()).length === 0 ? true : undefined,
    );
    // The one pooled connection is usable again.
    expect((await handler().run(target("SELECT 1 AS one"), ctx())).ok).toBe(true);
  });

  it("a job's session settings do not reach the next job on the same connection", async () => {
    expect((await handler().run(target("SET search_path TO nowhere"), ctx())).ok).toBe(true);
    const result = await handler().run(target("SHOW search_path"), ctx());
    expect(JSON.parse(result.summary).rows).toEqual([{ search_path: '"$user", public' }]);
  });

  it("a wrong password is a permanent failure; a server that is not there is retryable", async () => {
    const wrong = await handler().run(target("SELECT 1", { connection: "wrong" }), ctx());
    expect(wrong).toMatchObject({ ok: false, retryable: false });
    expect(wrong.summary).toContain("28P01");
    const nowhere = createDatabasePools(
      {
        gone: {
          host: "127.0.0.1",
          port: 1,
          database: "x",
          user: "x",
          ssl: "off",
          maxConnections: 1,
        },
      },
      { logger: silentLogger },
    );
    const gone = await createDatabaseHandler({ pools: nowhere }).run(
      target("SELECT 1", { connection: "gone" }),
      ctx(),
    );
    await nowhere.close();
    expect(gone).toMatchObject({ ok: false, retryable: true });
    expect(gone.summary).toContain("ECONNREFUSED");
  });

  it("binds each param type as the server reads it", async () => {
    const result = await handler().run(
      target(
        "SELECT $1::text AS s, $2::bigint AS i, $3::float8 AS d, $4::boolean AS b, $5::jsonb AS j, $6::text IS NULL AS n, now()::date = current_date AS today",
        {
          params: [
            { type: "string", value: "'; SELECT 1; --" },
            { type: "int", value: "-9223372036854775808" },
            { type: "double", value: -0.25 },
            { type: "bool", value: false },
            { type: "json", value: '{"k":"v"}' },
            { type: "null" },
          ],
        },
      ),
      ctx(),
    );
    expect(JSON.parse(result.summary).rows).toEqual([
      {
        s: "'; SELECT 1; --",
        i: "-9223372036854775808",
        d: -0.25,
        b: false,
        j: { k: "v" },
        n: true,
        today: true,
      },
    ]);
  });
});
