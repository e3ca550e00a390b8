import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The HTTP endpoint every benchmark job calls: it counts completed calls per execution id. */
export interface EffectServer {
  /** http://HOST:PORT/fire */
  url: string;
  /** Completed calls by `Chronoring-Execution-Id` (`job:scheduledMs:attempt`). */
  effects: Map<string, number>;
  /**
   * When each execution first called (the request arrived), by the same id:
   * when its handler really ran, which the execution's `started` (the time
   * the worker began its start write) does not show when that write hung.
   */
  firstCalls: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Starts the side-effect server. A call counts once its answer was sent in
 * full, after `callMs` (so that runs are in flight when a worker dies).
 * It listens on `host` (default 127.0.0.1; the gateway, for test hosts).
 */
export async function startEffectServer(options: {
  callMs: number;
  host?: string;
}): Promise<EffectServer> {
  const host = options.host ?? "127.0.0.1";
  const effects = new Map<string, number>();
  const firstCalls = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const id = String(req.headers["chronoring-execution-id"] ?? "");
    if (!firstCalls.has(id)) firstCalls.set(id, Date.now());
    req.resume();
    res.on("finish", () => effects.set(id, (effects.get(id) ?? 0) + 1));
    setTimeout(() => res.end("ok"), options.callMs);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const url = `http://${host}:${(server.address() as AddressInfo).port}/fire`;
  return {
    url,
    effects,
    firstCalls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
