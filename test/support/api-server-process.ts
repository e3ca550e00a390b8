/**
 * The API server alone in its own process, for tests that watch it from
 * outside (its memory): the real routes over job commands that have no store
 * (each call is Unavailable), with grpc.health.v1 answering SERVING.
 *
 * Run with `node --import tsx test/support/api-server-process.ts`; settings
 * are the usual CHRONORING_* variables (API host, port, body limit, log level).
 * SIGTERM closes it.
 */

import pino from "pino";
import { routes } from "../../src/api/routes.js";
import { startApiServer } from "../../src/api/server.js";
import { loadConfig } from "../../src/config/config.js";
import { storelessCommands } from "./storeless.js";

const config = loadConfig(process.env, process.argv.slice(2));
const logger = pino({ level: config.logLevel });

const server = await startApiServer({
  host: config.api.host,
  port: config.api.port,
  maxBodyBytes: config.api.maxBodyBytes,
  logger,
  routes: routes({ commands: storelessCommands(), ready: () => true }),
});

process.once("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
