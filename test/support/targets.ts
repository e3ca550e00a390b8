import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createSafeDispatcher } from "../../src/worker/handlers/safe-dispatcher.js";

/**
 * CHRONORING_TARGET_ALLOW for tests whose receivers listen on loopback: the
 * default of `testConfig` and of e2e clusters. Tests of the SSRF protection
 * itself set their own (usually empty).
 */
export const LOOPBACK_TARGETS = "127.0.0.0/8,::1";

/** A safe dispatcher that admits loopback, for handler tests against local servers. */
export function loopbackDispatcher() {
  return createSafeDispatcher({ allow: LOOPBACK_TARGETS.split(",") });
}

/** A local HTTP server that counts the TCP connections it accepted, to prove none was made. */
export interface CountingServer {
  /** `http://host:port`. */
  base: string;
  port: number;
  connections(): number;
  /** Requests it answered, by path. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Starts a counting server on `host` (any 127.x address works on Linux) and
 * `port` (0: a free one). `answer` writes the response; default 200 "ok".
 */
export async function countingServer(
  host: string,
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end("ok"),
  port = 0,
): Promise<CountingServer> {
  let connections = 0;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    req.resume();
    req.on("end", () => answer(req, res));
  });
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    base: `http://${host}:${bound}`,
    port: bound,
    connections: () => connections,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
