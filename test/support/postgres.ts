import { afterAll, beforeAll } from "vitest";
import { type PostgresServer, startPostgres } from "../../deploy/local/backends.js";

/**
 * A PostgreSQL server of this test file's own (initdb'd in a temp dir,
 * about 3 s), started in beforeAll and stopped in afterAll, so that files
 * that do not need one pay nothing. Call inside a describe or at top level.
 */
export function usePostgres(): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("postgres is not started yet (use it inside a test)");
    return server;
  };
}

/** CHRONORING_DATABASE_CONNECTIONS naming the server `name` (and more connections in `extra`). */
export function connectionsSetting(
  server: PostgresServer,
  name = "main",
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    [name]: {
      host: server.host,
      port: server.port,
      database: server.database,
      user: server.user,
      password: server.password,
    },
    ...extra,
  });
}
