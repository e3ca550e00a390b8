import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a receiver took: its path, headers and body as text. */
export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A running receiver: `base` is `http://127.0.0.1:<port>`. */
export interface Receiver {
  base: string;
  close(): Promise<void>;
}

/**
 * A local HTTP server on loopback for job targets and notification
 * webhooks: each request is read whole, then answered with the status
 * `answer` returns for it (and an empty body).
 */
export async function startReceiver(answer: (request: Received) => number): Promise<Receiver> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      res.writeHead(answer({ path: req.url ?? "", headers: req.headers, body }));
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
