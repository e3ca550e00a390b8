import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface Forwarder {
  /** http://<listen host>:<port> */
  url: string;
  close(): Promise<void>;
}

/**
 * Listens on `host` and pipes every connection to `target`
 * (http://127.0.0.1:PORT). It lets the test hosts reach a server
 * that binds loopback only (the SQS emulator) through the gateway address.
 * The same port as the target is tried first (unless `port` is given), so
 * that URLs differ only by host (fauxqs builds queue URLs from the Host
 * header). Closing it cuts every connection: a store that is out of reach.
 */
export async function startForwarder(
  target: string,
  host: string,
  port?: number,
): Promise<Forwarder> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = createConnection({ host: to.hostname, port: Number(to.port) });
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.removeListener("error", reject);
        resolve();
      });
    });
  if (port !== undefined) await listen(port);
  else await listen(Number(to.port)).catch(() => listen(0));
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
