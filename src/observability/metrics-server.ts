import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Authenticator } from "../auth/authenticate.js";
import { authenticateHttp } from "../auth/http-guard.js";
import { TZDATA_HEADER, tzdataVersion } from "../core/schedule/tzdata.js";

/**
 * A bare HTTP listener for `GET /metrics` and `GET /healthz`, for processes
 * that do not serve the API (a worker-only process): the container's health
 * check asks it. The API server serves both itself. With `auth`
 * (CHRONORING_METRICS_AUTH), a scrape needs a token of any role.
 */
export async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
  auth?: Authenticator,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, {
        "content-type": "text/plain",
        "cache-control": "no-store",
        [TZDATA_HEADER]: tzdataVersion(),
      });
      res.end("ok\n");
      return;
    }
    if (req.method === "GET" && req.url === "/metrics") {
      const allowed = auth
        ? authenticateHttp(auth, req, res, { actAs: false })
        : Promise.resolve(true);
      allowed
        .then(async (caller) => {
          if (!caller) return;
          const text = await registry.metrics();
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          if (res.headersSent) return;
          res.writeHead(500);
          res.end(String(err));
        });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
