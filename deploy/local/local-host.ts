import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";

/** A TCP port that was free on 127.0.0.1 a moment ago; never the same one twice per process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((ok, fail) => {
      const server = createServer();
      server.once("error", fail);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => ok(typeof address === "object" && address ? address.port : 0));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
const handedOut = new Set<number>();

/** /dev/shm when writable: etcd fsyncs every write, which costs nothing on tmpfs. */
export function tempBase(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
}
