import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local HTTP target that fails on purpose: `GET /<key>?fail=N&status=S`
 * answers S (default 503) to the first N calls of that key, then 200. Every
 * call's arrival time and execution id header is recorded per key.
 */
export interface FlakyServer {
  url(key: string, fail: number, status?: number): string;
  calls(key: string): Array<{ atMs: number; executionId: string }>;
  close(): Promise<void>;
}

export async function startFlakyServer(): Promise<FlakyServer> {
  const calls = new Map<string, Array<{ atMs: number; executionId: string }>>();
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const key = u.pathname.slice(1);
    const list = calls.get(key) ?? [];
    calls.set(key, list);
    list.push({ atMs: Date.now(), executionId: String(req.headers["chronoring-execution-id"]) });
    const fail = Number(u.searchParams.get("fail") ?? 0);
    const status = Number(u.searchParams.get("status") ?? 503);
    res.writeHead(list.length <= fail ? status : 200, { "content-type": "text/plain" });
    res.end(list.length <= fail ? `failure ${list.length}` : "ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (key, fail, status = 503) =>
      `http://127.0.0.1:${port}/${key}?fail=${fail}&status=${status}`,
    calls: (key) => calls.get(key) ?? [],
    close: () => new Promise((r) => server.close(() => r())),
  };
}
