import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../deploy/local/backends.js";
import { type ChronoringProcess, startChronoring } from "../deploy/local/chronoring-process.js";
import { type EtcdCluster, startEtcdCluster } from "../deploy/local/netns/etcd-cluster.js";
import { type Forwarder, startForwarder } from "../deploy/local/netns/forwarder.js";
import { createTestNet, type Host, type TestNet } from "../deploy/local/netns/hosts.js";

const ROOT = resolve(import.meta.dirname, "..");
const METRICS_PORT = "9464";

export interface Endpoints {
  dynamodb: string;
  sqs: string;
  region: string;
}

/** Real processes on test hosts: 3 etcd members, schedulers and workers each on its own host. */
export interface PartitionStack {
  net: TestNet;
  etcd: EtcdCluster;
  prefix: string;
  logDir: string;
  /** DynamoDB's port at the gateway (to cut a host off from the store only). */
  dynamoPort: number;
  apiUrl: string;
  effectUrl: string;
  /** execution id → completed calls of the side-effect endpoint. */
  effects: Map<string, number>;
  hosts: Map<string, Host>;
  procs: Map<string, ChronoringProcess>;
  /** Starts a scheduler (`s*`) or worker (`w*`) on a new host of that name. */
  startNode(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The stack of the partition scenarios. DynamoDB Local and the SQS emulator
 * stay in the root namespace (the gateway; SQS through a forwarder, as it
 * binds loopback); so do the API and the side-effect endpoint the jobs call.
 */
export async function startPartitionStack(
  backends: Endpoints,
  options: { partitions: number; callMs: number; log: (line: string) => void },
): Promise<PartitionStack> {
  const logDir = mkdtempSync(join(tmpdir(), "chronoring-partitions-"));
  const net = await createTestNet(options.log);
  const closers: Array<() => Promise<void>> = [() => net.destroy()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {});
  };
  try {
    const etcd = await startEtcdCluster(net, { logDir });
    closers.push(() => etcd.stop());
    const gw = net.gateway.ip;
    const sqs: Forwarder = await startForwarder(backends.sqs, gw);
    closers.push(() => sqs.close());
    const dynamo = new URL(backends.dynamodb);
    const effects = new Map<string, number>();
    const effectServer: Server = createServer((req, res) => {
      const id = String(req.headers["chronoring-execution-id"] ?? "");
      req.resume();
      res.on("finish", () => effects.set(id, (effects.get(id) ?? 0) + 1));
      setTimeout(() => res.end("ok"), options.callMs);
    });
    await new Promise<void>((r) => effectServer.listen(0, gw, r));
    closers.push(() => new Promise((r) => effectServer.close(() => r())));
    const effectUrl = `http://${gw}:${(effectServer.address() as AddressInfo).port}/fire`;

    const prefix = `np${randomBytes(3).toString("hex")}-`;
    const common = {
      CHRONORING_DYNAMODB_ENDPOINT: `http://${gw}:${dynamo.port}`,
      CHRONORING_SQS_ENDPOINT: sqs.url,
      CHRONORING_ETCD_ENDPOINTS: etcd.endpoints,
      CHRONORING_AWS_REGION: backends.region,
      CHRONORING_TABLE_PREFIX: prefix,
      CHRONORING_QUEUE_PREFIX: prefix,
      CHRONORING_ETCD_PREFIX: `/${prefix}/`,
      CHRONORING_PARTITIONS: String(options.partitions),
      CHRONORING_SESSION_TTL_MS: "2000",
      CHRONORING_LOOKAHEAD_MS: "1000",
      CHRONORING_POLL_INTERVAL_MS: "500",
      CHRONORING_START_TIMEOUT_MS: "4000",
      CHRONORING_SWEEP_INTERVAL_MS: "1000",
      CHRONORING_FAILOVER_INTERVAL_MS: "1000",
      CHRONORING_VISIBILITY_TIMEOUT_S: "10",
      // A scheduler cut off from the store alone stands aside after this long.
      CHRONORING_STORE_OUTAGE_MS: "3000",
      CHRONORING_LOG_LEVEL: "warn",
      CHRONORING_TARGET_ALLOW: `${gw}/32`,
      // The scenarios measure partitions, not token checks; the harness calls without tokens.
      CHRONORING_AUTH_MODE: "off",
    };
    const procs = new Map<string, ChronoringProcess>();
    closers.push(async () => {
      await Promise.all([...procs.values()].map((p) => p.process.stop(2_000).catch(() => {})));
    });
    const hosts = new Map<string, Host>();
    const apiPort = String(await freePort());
    procs.set(
      "api",
      await startChronoring({
        name: "api",
        logDir,
        env: { ...common, CHRONORING_ROLES: "api", CHRONORING_API_PORT: apiPort },
      }),
    );
    const startNode = async (name: string) => {
      const host = await net.addHost(name);
      hosts.set(name, host);
      const role: Record<string, string> = name.startsWith("w")
        ? { CHRONORING_ROLES: "worker", CHRONORING_WORKER_ID: name }
        : { CHRONORING_ROLES: "scheduler", CHRONORING_NODE_ID: name };
      const node = host.wrap(process.execPath, ["--import", "tsx", join(ROOT, "src/main.ts")]);
      procs.set(
        name,
        await startChronoring({
          name,
          logDir,
          env: {
            ...common,
            ...role,
            CHRONORING_WORKER_CONCURRENCY: "64",
            CHRONORING_API_HOST: host.ip,
            CHRONORING_METRICS_PORT: METRICS_PORT,
          },
          launch: { ...node, cwd: ROOT, env: process.env },
        }),
      );
    };
    return {
      net,
      etcd,
      prefix,
      logDir,
      dynamoPort: Number(dynamo.port),
      apiUrl: procs.get("api")!.apiUrl!,
      effectUrl,
      effects,
      hosts,
      procs,
      startNode,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
