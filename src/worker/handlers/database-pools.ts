/**
 * One small `pg` pool per named connection, made on first use and ended when
 * the worker stops. A run borrows a client, and gives it back reset (DISCARD
 * ALL) so that nothing a job set on its session reaches the next job; a
 * client left inside a transaction, or that failed, is closed instead.
 */
import { readFile } from "node:fs/promises";
import pg from "pg";
import type { Logger } from "pino";
import type { DatabaseConnectionSettings } from "../../core/database-target.js";

export interface DatabasePools {
  /** The pool of a configured connection; undefined for a name this worker does not hold. */
  get(name: string): pg.Pool | undefined;
  /** Names this worker holds, sorted (for error messages). */
  names(): string[];
  /**
   * Asks the server to cancel what the backend `pid` of connection `name` is
   * running (pg_cancel_backend over a separate connection). Resolves false
   * when the request could not be made.
   */
  cancel(name: string, pid: number): Promise<boolean>;
  /** Ends every pool: idle connections close, busy ones when released. */
  close(): Promise<void>;
}

export interface DatabasePoolOptions {
  logger: Logger;
  /** How long opening a connection may take; default 10 s. */
  connectTimeoutMs?: number;
}

/**
 * Types read as JS values; every other column keeps PostgreSQL's text form
 * (timestamps, numerics, bytea, arrays), so the recorded result shows what
 * the server said rather than a conversion of it.
 */
const PARSED_TYPES = new Set([
  16, // bool
  21, // int2
  23, // int4
  26, // oid
  114, // json
  700, // float4
  701, // float8
  3802, // jsonb
]);

export const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    PARSED_TYPES.has(oid)
      ? pg.types.getTypeParser(oid, format as "text")
      : (value: string) => value) as typeof pg.types.getTypeParser,
};

export function createDatabasePools(
  settings: Readonly<Record<string, DatabaseConnectionSettings>>,
  options: DatabasePoolOptions,
): DatabasePools {
  const pools = new Map<string, pg.Pool>();
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const configOf = (name: string): pg.ClientConfig | undefined => {
    const s = Object.hasOwn(settings, name) ? settings[name] : undefined;
    return s && clientConfig(s, connectTimeoutMs);
  };
  return {
    get(name) {
      let pool = pools.get(name);
      if (pool) return pool;
      const config = configOf(name);
      if (!config) return undefined;
      pool = new pg.Pool({
        ...config,
        max: settings[name]!.maxConnections,
        idleTimeoutMillis: 30_000,
      });
      // An idle client's connection can drop (server restart): without a
      // listener that error would end the process.
      pool.on("error", (err) =>
        options.logger.warn({ err, connection: name }, "idle database connection failed"),
      );
      pools.set(name, pool);
      return pool;
    },
    names: () => Object.keys(settings).sort(),
    async cancel(name, pid) {
      const config = configOf(name);
      if (!config) return false;
      const client = new pg.Client(config);
      client.on("error", () => undefined);
      try {
        await client.connect();
        const r = await client.query("SELECT pg_cancel_backend($1) AS cancelled", [pid]);
        return r.rows[0]?.cancelled === true;
      } catch (err) {
        options.logger.warn({ err, connection: name, pid }, "could not cancel a database query");
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.end().catch(() => undefined)));
    },
  };
}

function clientConfig(s: DatabaseConnectionSettings, connectTimeoutMs: number): pg.ClientConfig {
  const { passwordFile } = s;
  return {
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.user,
    // Read at each new connection: a rotated secret file is picked up without a restart.
    password: passwordFile
      ? async () => (await readFile(passwordFile, "utf8")).replace(/\r?\n$/, "")
      : s.password,
    ssl: s.ssl === "off" ? false : { rejectUnauthorized: s.ssl === "verify" },
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: "chronoring",
    types,
  };
}
