import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The HTTP endpoint every benchmark job calls: it counts completed calls per execution id. */
export interface EffectServer {
  /** http://127.0.0.1:PORT/fire */
  url: string;
  /** Completed calls by `Chronoring-Execution-Id` (`job:scheduledMs:attempt`). */
  effects: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Starts the side-effect server. A call counts once its answer was sent in
 * full, after `callMs` (so that runs are in flight when a worker dies).
 */
export async function startEffectServer(options: { callMs: number }): Promise<EffectServer> {
  const effects = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const id = String(req.headers["chronoring-execution-id"] ?? "");
    req.resume();
    res.on("finish", () => effects.set(id, (effects.get(id) ?? 0) + 1));
    setTimeout(() => res.end("ok"), options.callMs);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fire`;
  return {
    url,
    effects,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
