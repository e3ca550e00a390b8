/**
 * The container's health check (`node dist/healthcheck.js`: the image has no
 * curl). Reads the same CHRONORING_* settings as the process it checks, asks
 * that process's `/healthz`, and exits 0 when it answers 200, 1 otherwise
 * (also while the process drains after SIGTERM: /healthz then answers 503).
 */
import { ConfigError, loadConfig } from "./config/config.js";
import { healthUrl } from "./observability/health-url.js";

const TIMEOUT_MS = 3_000;

async function check(): Promise<number> {
  let url: string | undefined;
  try {
    url = healthUrl(loadConfig(process.env, process.argv.slice(2)));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`healthcheck: configuration error: ${err.message}\n`);
    return 1;
  }
  if (!url) {
    process.stderr.write(
      "healthcheck: no listener to ask: without the api role, set CHRONORING_METRICS_PORT\n",
    );
    return 1;
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status === 200) return 0;
    process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
  } catch (err) {
    process.stderr.write(`healthcheck: ${url}: ${err instanceof Error ? err.message : err}\n`);
  }
  return 1;
}

process.exitCode = await check();
