import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../deploy/local/backends.js";
import {
  dynamoIsReady,
  launchDynamo,
  localDynamoClient,
} from "../../deploy/local/dynamodb-local.js";
import { warmDynamo } from "../../deploy/local/dynamodb-warmup.js";
import { etcdIsReady, launchEtcd } from "../../deploy/local/etcd-server.js";
import { logTail, type ManagedProcess, sweepOrphans } from "../../deploy/local/process.js";
import { launchSqs, sqsIsReady } from "../../deploy/local/sqs-emulator.js";
import type { Endpoints } from "./stack.js";

/** A backend server the benchmark owns, so that it can freeze, kill and restart it. */
export interface Backend {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** SIGSTOP / SIGCONT / ... to the server process. */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL; resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (etcd: the same data dir; the others: empty). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface OwnedBackends {
  endpoints: Endpoints;
  etcd: Backend;
  dynamodb: Backend;
  sqs: Backend;
  stop(): Promise<void>;
}

const REGION = "us-east-1";

/**
 * Starts etcd, DynamoDB Local (in memory, warmed) and the SQS emulator with
 * their launchers from deploy/local, and keeps the handles for faults.
 * DynamoDB is exercised `warmMs` (default 10 s) first, so it runs at full speed.
 */
export async function startOwnedBackends(
  log: (line: string) => void,
  options: { warmMs?: number } = {},
): Promise<OwnedBackends> {
  sweepOrphans(log);
  const dir = mkdtempSync(join(tmpdir(), "chronoring-owned-"));
  const [etcdPort, peerPort, dynamoPort, sqsPort] = await Promise.all(
    [0, 1, 2, 3].map(() => freePort()),
  );
  const started: Backend[] = [];
  try {
    const [etcd, dynamodb, sqs] = await Promise.all([
      owned(
        "etcd",
        etcdPort!,
        log,
        () =>
          launchEtcd({
            dataDir: join(dir, "etcd"),
            clientPort: etcdPort!,
            peerPort: peerPort!,
            logFile: join(dir, "etcd.log"),
            tempDir: dir,
          }),
        etcdIsReady,
      ),
      owned(
        "dynamodb",
        dynamoPort!,
        log,
        () => launchDynamo({ port: dynamoPort!, logFile: join(dir, "dynamodb.log"), tempDir: dir }),
        dynamoReady,
      ),
      owned(
        "sqs",
        sqsPort!,
        log,
        () =>
          launchSqs({
            port: sqsPort!,
            region: REGION,
            logFile: join(dir, "sqs.log"),
            tempDir: dir,
          }),
        sqsIsReady,
      ),
    ]);
    started.push(etcd, dynamodb, sqs);
    const client = localDynamoClient(dynamodb.url, REGION);
    try {
      const rounds = await warmDynamo(client, options.warmMs);
      log(`dynamodb warmed up (${rounds} rounds)`);
    } finally {
      client.destroy();
    }
    return {
      endpoints: { etcd: etcd.url, dynamodb: dynamodb.url, sqs: sqs.url, region: REGION },
      etcd,
      dynamodb,
      sqs,
      async stop() {
        await Promise.all(started.map((b) => b.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((b) => b.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * DynamoDB Local alone, owned by the caller (a test that freezes the store
 * while it shares the other backends); `stop` also removes its files.
 */
export async function startOwnedDynamo(log: (line: string) => void): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "chronoring-owned-dynamo-"));
  const port = await freePort();
  try {
    const backend = await owned(
      "dynamodb",
      port,
      log,
      () => launchDynamo({ port, logFile: join(dir, "dynamodb.log"), tempDir: dir }),
      dynamoReady,
    );
    return {
      ...backend,
      get pid() {
        return backend.pid;
      },
      async stop() {
        await backend.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function dynamoReady(url: string): Promise<boolean> {
  const client = localDynamoClient(url, REGION);
  try {
    return await dynamoIsReady(client);
  } finally {
    client.destroy();
  }
}

async function owned(
  name: string,
  port: number,
  log: (line: string) => void,
  launch: () => Promise<ManagedProcess>,
  probe: (url: string) => Promise<boolean>,
): Promise<Backend> {
  const url = `http://127.0.0.1:${port}`;
  const up = async (): Promise<ManagedProcess> => {
    const t0 = Date.now();
    const child = await launch();
    const deadline = t0 + 60_000;
    for (;;) {
      if (child.hasExited()) throw new Error(`${name} exited at start:\n${logTail(child.logFile)}`);
      try {
        if (await probe(url)) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) {
        await child.stop();
        throw new Error(`${name} not ready in 60 s:\n${logTail(child.logFile)}`);
      }
      await sleep(100);
    }
    log(`${name} up at ${url} in ${Date.now() - t0} ms (pid ${child.pid})`);
    return child;
  };
  let child = await up();
  return {
    name,
    url,
    get pid() {
      return child.pid;
    },
    signal: (signal) => process.kill(child.pid, signal),
    async kill() {
      process.kill(child.pid, "SIGKILL");
      await child.exited;
    },
    async restart() {
      if (!child.hasExited()) await child.stop(1000);
      child = await up();
    },
    stop: async () => {
      // A frozen server ignores SIGTERM until continued.
      if (!child.hasExited()) process.kill(child.pid, "SIGCONT");
      await child.stop(2000);
    },
  };
}
