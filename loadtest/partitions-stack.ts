import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { nodeArgs } from "../deploy/local/chronoring-process.js";
import { type EtcdCluster, startEtcdCluster } from "../deploy/local/netns/etcd-cluster.js";
import { type Forwarder, startForwarder } from "../deploy/local/netns/forwarder.js";
import { createTestNet, type Host, type TestNet } from "../deploy/local/netns/hosts.js";
import { type EffectServer, startEffectServer } from "./harness/effect-server.js";
import {
  createStack,
  type Endpoints,
  FAST_FAILOVER_SETTINGS,
  type Stack,
} from "./harness/stack.js";

const ROOT = resolve(import.meta.dirname, "..");
const METRICS_PORT = "9464";

/** Real processes on test hosts: 3 etcd members, schedulers and workers each on its own host. */
export interface PartitionStack {
  net: TestNet;
  etcd: EtcdCluster;
  /** The Chronoring processes (the harness's stack): the API in the root namespace. */
  stack: Stack;
  /** Where the processes reach the backends (the gateway), for reading back. */
  endpoints: Endpoints;
  prefix: string;
  /** DynamoDB's port at the gateway (to cut a host off from the store only). */
  dynamoPort: number;
  effect: EffectServer;
  hosts: Map<string, Host>;
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
  backends: Omit<Endpoints, "etcd">,
  options: { partitions: number; callMs: number; log: (line: string) => void },
): Promise<PartitionStack> {
  const net = await createTestNet(options.log);
  const closers: Array<() => Promise<void>> = [() => net.destroy()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {});
  };
  try {
    const hosts = new Map<string, Host>();
    const gw = net.gateway.ip;
    const etcdLogDir = mkdtempSync(join(tmpdir(), "chronoring-partitions-etcd-"));
    const etcd = await startEtcdCluster(net, { logDir: etcdLogDir });
    options.log(`etcd member logs in ${etcdLogDir}`);
    closers.push(() => etcd.stop());
    const sqs: Forwarder = await startForwarder(backends.sqs, gw);
    closers.push(() => sqs.close());
    const effect = await startEffectServer({ callMs: options.callMs, host: gw });
    closers.push(() => effect.close());
    const dynamoPort = Number(new URL(backends.dynamodb).port);
    const endpoints: Endpoints = {
      etcd: etcd.endpoints,
      dynamodb: `http://${gw}:${dynamoPort}`,
      sqs: sqs.url,
      region: backends.region,
    };
    const prefix = `np${randomBytes(3).toString("hex")}-`;
    const stack = createStack({
      backends: endpoints,
      prefix,
      log: options.log,
      settings: {
        CHRONORING_PARTITIONS: String(options.partitions),
        ...FAST_FAILOVER_SETTINGS,
        // A scheduler cut off from the store alone stands aside after this long.
        CHRONORING_STORE_OUTAGE_MS: "3000",
        CHRONORING_TARGET_ALLOW: `${gw}/32`,
        // The scenarios measure partitions, not token checks; the harness calls without tokens.
        CHRONORING_AUTH_MODE: "off",
      },
      // Nodes run on their test host; the API on this one.
      launch: (name) => {
        const host = hosts.get(name);
        if (!host) return undefined;
        const node = host.wrap(process.execPath, nodeArgs());
        return { ...node, cwd: ROOT, env: process.env };
      },
    });
    closers.push(() => stack.stop());
    await stack.api();
    const startNode = async (name: string) => {
      const host = await net.addHost(name);
      hosts.set(name, host);
      const env = { CHRONORING_API_HOST: host.ip, CHRONORING_METRICS_PORT: METRICS_PORT };
      if (name.startsWith("w")) {
        await stack.worker(name, { ...env, CHRONORING_WORKER_CONCURRENCY: "64" });
      } else {
        await stack.scheduler(name, env);
      }
    };
    return { net, etcd, stack, endpoints, prefix, dynamoPort, effect, hosts, startNode, close };
  } catch (error) {
    await close();
    throw error;
  }
}
