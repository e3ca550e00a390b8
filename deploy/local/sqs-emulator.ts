import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageDir } from "./packages.js";
import { type ManagedProcess, spawnManaged } from "./process.js";

export interface SqsLaunch {
  port: number;
  region: string;
  logFile: string;
  tempDir?: string;
}

/**
 * Starts the fauxqs SQS emulator in its own Node process (so its work does not share an event
 * loop with the code under test), listening on 127.0.0.1 only.
 *
 * Not through fauxqs's own `cli.js`: it hard-codes `logger: true` (FAUXQS_LOGGER is ignored)
 * and listens on 0.0.0.0. And with an empty queue-URL host: fauxqs builds queue URLs as
 * `http://sqs.<region>.<FAUXQS_HOST or "localhost">:<port>/...`, which does not resolve here
 * (nor does `sqs.us-east-1.127.0.0.1`). With `host = ""` a queue URL takes the Host header of
 * the CreateQueue request, i.e. the endpoint the client used: http://127.0.0.1:<port>/...
 */
export async function launchSqs(launch: SqsLaunch): Promise<ManagedProcess> {
  const dist = join(packageDir("fauxqs"), "dist");
  const url = (file: string) => JSON.stringify(pathToFileURL(join(dist, file)).href);
  const script = [
    `const { buildApp } = await import(${url("app.js")});`,
    `const { SqsStore } = await import(${url("sqs/sqsStore.js")});`,
    "const sqsStore = new SqsStore();",
    `sqsStore.host = "";`,
    `const options = { logger: false, defaultRegion: ${JSON.stringify(launch.region)} };`,
    "const app = buildApp({ ...options, stores: { sqsStore } });",
    `const address = await app.listen({ port: ${launch.port}, host: "127.0.0.1" });`,
    `console.log("fauxqs listening on " + address);`,
    `for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => app.close().finally(() => process.exit(0)));`,
  ].join("\n");
  return spawnManaged({
    name: "sqs",
    command: process.execPath,
    args: ["--input-type=module", "--eval", script],
    logFile: launch.logFile,
    tempDir: launch.tempDir,
  });
}

export async function sqsIsReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}
