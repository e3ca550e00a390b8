import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { dynamoIsReady, launchDynamo, localDynamoClient } from "./dynamodb-local.js";
import { warmDynamo } from "./dynamodb-warmup.js";
import { etcdDataDir, etcdIsReady, launchEtcd } from "./etcd-server.js";
import { freePort, tempBase } from "./local-host.js";
import { logTail, type ManagedProcess, sweepOrphans } from "./process.js";
import { launchSqs, sqsIsReady } from "./sqs-emulator.js";

export { LOCAL_CREDENTIALS } from "./dynamodb-local.js";
export { freePort } from "./local-host.js";
// PostgreSQL is started on its own, by what needs it (the database job tests, `npm run dev`).
export { type PostgresServer, startPostgres } from "./postgres-server.js";

export type BackendName = "etcd" | "dynamodb" | "sqs";

export interface BackendOptions {
  /** Persist here (etcd data dir, DynamoDB `-sharedDb -dbPath`); absent = in memory / temp dir. */
  dataDir?: string;
  etcdPort?: number;
  dynamoPort?: number;
  /** 0 or absent = pick a free port (for every port option). */
  sqsPort?: number;
  /** Progress lines ("etcd ready at ... in 640 ms"); the servers' own output goes to log files. */
  log?: (line: string) => void;
  /** Start only these; the endpoints of the others are "". */
  only?: Array<BackendName>;
  /** Exercise DynamoDB Local for `warmMs` before returning, so it runs at full speed (benchmarks). */
  warm?: boolean;
  /** Default 10 s: the JVM serves at about half speed for its first ~10 s of load. */
  warmMs?: number;
  /** Per backend; default 60 s. */
  startTimeoutMs?: number;
  /**
   * A JVM tuned for a run of minutes (the integration tier), not for peak speed: DynamoDB Local
   * compiles with C1 only and collects with one thread. See `DynamoLaunch.shortLived`.
   */
  shortLived?: boolean;
}

export interface Backends {
  /** e.g. http://127.0.0.1:2379 */
  etcd: string;
  /** http://127.0.0.1:PORT */
  dynamodb: string;
  /** http://127.0.0.1:PORT; queue URLs it returns use the same host and port. */
  sqs: string;
  /** "us-east-1" */
  region: string;
  /** Where each server's stdout+stderr goes (`etcd.log`, `dynamodb.log`, `sqs.log`). */
  logDir: string;
  /** Process ids, for fault injection (SIGSTOP/SIGKILL) and memory measurements. */
  pids: Partial<Record<BackendName, number>>;
  /** Stops all servers (SIGTERM, SIGKILL after 5 s) and removes the temp dir if one was made. */
  stop(): Promise<void>;
}

const REGION = "us-east-1";
const ALL: BackendName[] = ["etcd", "dynamodb", "sqs"];

/**
 * Starts etcd, DynamoDB Local and the fauxqs SQS emulator in parallel, each a child process
 * on 127.0.0.1, and resolves once all of them answer requests. The children die with this
 * process. On failure, whatever did start is stopped and the error names the backend and
 * quotes the end of its log.
 */
export async function startBackends(options: BackendOptions = {}): Promise<Backends> {
  const log = options.log ?? (() => {});
  sweepOrphans(log);
  const wanted = options.only ?? ALL;
  const tempDir = options.dataDir ? undefined : mkdtempSync(join(tempBase(), "chronoring-"));
  const runDir = options.dataDir ? resolve(options.dataDir) : tempDir!;
  const logDir = join(runDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const started: ManagedProcess[] = [];
  const common = { runDir, logDir, tempDir, timeoutMs, log, started };

  const starters: Record<BackendName, () => Promise<Started>> = {
    etcd: () => startEtcd(common, options.etcdPort),
    dynamodb: () =>
      startDynamo(common, options.dynamoPort, options.dataDir !== undefined, options.shortLived),
    sqs: () => startSqs(common, options.sqsPort),
  };
  const results = await Promise.allSettled(wanted.map((name) => starters[name]()));
  const stop = once(async () => {
    await Promise.all(started.map((p) => p.stop()));
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  });
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await stop();
    const message = failures.map((e) => e.message).join("\n\n");
    throw new Error(`local backends failed to start:\n${message}`, { cause: failures[0] });
  }
  const urls = Object.fromEntries(
    results.flatMap((r) => (r.status === "fulfilled" ? [[r.value.name, r.value.url]] : [])),
  ) as Partial<Record<BackendName, string>>;

  if (options.warm && urls.dynamodb) {
    const t0 = performance.now();
    const client = localDynamoClient(urls.dynamodb, REGION);
    try {
      const rounds = await warmDynamo(client, options.warmMs);
      log(`dynamodb warmed up in ${ms(t0)} (${rounds} rounds of ~4 requests)`);
    } finally {
      client.destroy();
    }
  }
  return {
    etcd: urls.etcd ?? "",
    dynamodb: urls.dynamodb ?? "",
    sqs: urls.sqs ?? "",
    region: REGION,
    logDir,
    pids: Object.fromEntries(started.map((p) => [p.name, p.pid])),
    stop,
  };
}

interface Common {
  runDir: string;
  logDir: string;
  tempDir: string | undefined;
  timeoutMs: number;
  log: (line: string) => void;
  started: ManagedProcess[];
}
interface Started {
  name: BackendName;
  url: string;
}

function startEtcd(c: Common, port: number | undefined): Promise<Started> {
  return startWithRetry(c, "etcd", port, async (clientPort) => ({
    process: await launchEtcd({
      dataDir: etcdDataDir(c.runDir),
      clientPort,
      peerPort: await freePort(),
      logFile: join(c.logDir, "etcd.log"),
      tempDir: c.tempDir,
    }),
    probe: etcdIsReady,
  }));
}

function startDynamo(
  c: Common,
  port: number | undefined,
  persist: boolean,
  shortLived = false,
): Promise<Started> {
  return startWithRetry(c, "dynamodb", port, async (p) => ({
    process: await launchDynamo({
      port: p,
      shortLived,
      dbPath: persist ? join(c.runDir, "dynamodb") : undefined,
      logFile: join(c.logDir, "dynamodb.log"),
      tempDir: c.tempDir,
    }),
    probe: async (url) => {
      const client = localDynamoClient(url, REGION);
      try {
        return await dynamoIsReady(client);
      } finally {
        client.destroy();
      }
    },
  }));
}

function startSqs(c: Common, port: number | undefined): Promise<Started> {
  return startWithRetry(c, "sqs", port, async (p) => ({
    process: await launchSqs({
      port: p,
      region: REGION,
      logFile: join(c.logDir, "sqs.log"),
      tempDir: c.tempDir,
    }),
    probe: sqsIsReady,
  }));
}

type Launch = (port: number) => Promise<{
  process: ManagedProcess;
  probe: (url: string) => Promise<boolean>;
}>;

/**
 * A port picked by `freePort` can be taken by someone else before the server binds it; then
 * the server dies with "address in use" and another port is tried. A port the caller chose is
 * never swapped for another.
 */
async function startWithRetry(
  c: Common,
  name: BackendName,
  requestedPort: number | undefined,
  launch: Launch,
): Promise<Started> {
  const t0 = performance.now();
  for (let attempt = 1; ; attempt++) {
    const port = requestedPort || (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const { process: child, probe } = await launch(port);
    c.started.push(child);
    const failure = await waitReady(child, () => probe(url), c.timeoutMs);
    if (failure === undefined) {
      c.log(`${name} ready at ${url} in ${ms(t0)} (pid ${child.pid}, log ${child.logFile})`);
      return { name, url };
    }
    await child.stop(1_000);
    c.started.splice(c.started.indexOf(child), 1);
    const tail = logTail(child.logFile);
    if (
      !requestedPort &&
      attempt < 3 &&
      /address already in use|BindException|EADDRINUSE/i.test(tail)
    ) {
      c.log(`${name}: port ${port} was taken meanwhile, trying another`);
      continue;
    }
    throw new Error(
      `${name} failed to start on port ${port}: ${failure}\n--- last lines of ${child.logFile} ---\n${tail}`,
    );
  }
}

/** undefined once `probe` succeeds; otherwise why it never did. */
async function waitReady(
  child: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (child.hasExited()) return `process exited (${await child.exited}) before it was ready`;
    try {
      if (await probe()) return undefined;
    } catch (error) {
      lastError = `; last probe error: ${(error as Error).message}`;
    }
    await Promise.race([sleep(100), child.exited]);
  }
  return `not ready after ${timeoutMs} ms${lastError}`;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}

function ms(t0: number): string {
  return `${Math.round(performance.now() - t0)} ms`;
}
