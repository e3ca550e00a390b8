import { type AddressInfo, connect, createServer, type Socket } from "node:net";

/** A TCP proxy on 127.0.0.1 that holds each chunk going to the server `delayMs`. */
export interface DelayProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Changes the delay of chunks from now on (0: none). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/**
 * A slow store without tc or Docker: each request chunk waits `delayMs`
 * before it is written upstream (answers pass at once), so every call gets
 * about `delayMs` more latency.
 */
export async function startDelayProxy(target: string, delayMs: number): Promise<DelayProxy> {
  const { hostname, port } = new URL(target);
  let delay = delayMs;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    // One queue per connection, drained in order: a chunk never overtakes the one before it.
    const queue: Array<{ dueMs: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      timer = undefined;
      while (queue.length > 0 && queue[0]!.dueMs <= Date.now()) {
        if (upstream.writable) upstream.write(queue.shift()!.chunk);
        else queue.shift();
      }
      if (queue.length > 0) timer = setTimeout(drain, queue[0]!.dueMs - Date.now());
    };
    const closeBoth = () => {
      clearTimeout(timer);
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", closeBoth).on("close", closeBoth);
    upstream.on("error", closeBoth).on("close", closeBoth);
    client.on("data", (chunk: Buffer) => {
      queue.push({ dueMs: Date.now() + delay, chunk });
      timer ??= setTimeout(drain, queue[0]!.dueMs - Date.now());
    });
    upstream.on("data", (chunk) => client.writable && client.write(chunk));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDelay(ms) {
      delay = ms;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
