import { startApp } from "./app.js";
import { ConfigError, loadConfig } from "./config/config.js";

/**
 * The process: reads the config, starts the app, and closes it gracefully on
 * SIGINT/SIGTERM (API stops accepting, the scheduler sends what is due, the
 * worker finishes its runs). A second signal exits at once.
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chronoring: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config);
  } catch (err) {
    // Settings that only fail when used (a JWKS file that cannot be read).
    if (err instanceof ConfigError) {
      process.stderr.write(`chronoring: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    process.stderr.write(`chronoring: ${signal}, shutting down\n`);
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`chronoring: error during shutdown: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `chronoring: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
