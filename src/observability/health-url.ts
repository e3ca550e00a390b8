import type { Config } from "../config/config.js";

/**
 * Where a process configured so answers `GET /healthz`: its API listener, or
 * for a process without the api role its bare metrics listener
 * (`CHRONORING_METRICS_PORT`). Undefined when it has none on a known port.
 * A listener on every interface is asked on loopback.
 */
export function healthUrl(
  config: Pick<Config, "roles" | "api" | "metricsPort">,
): string | undefined {
  const port = config.roles.includes("api") ? config.api.port : config.metricsPort;
  if (port === 0) return undefined;
  let host = config.api.host;
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  if (host.includes(":")) host = `[${host}]`;
  return `http://${host}:${port}/healthz`;
}
