import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach } from "vitest";
import { freePort } from "../../deploy/local/backends.js";
import {
  type ChronoringLaunch,
  type ChronoringProcess,
  metricValue,
  startChronoring,
} from "../../deploy/local/chronoring-process.js";
import { logTail } from "../../deploy/local/process.js";
import { createEtcdCoordinator } from "../../src/adapters/etcd/coordinator.js";
import type { Config } from "../../src/config/config.js";
import type { Coordinator } from "../../src/core/ports/coordinator.js";
import { testBackends, uniquePrefix } from "./backends.js";
import { TEST_BACKSTOPS } from "./backstops.js";
import { loadTestConfig } from "./host.js";
import { LOOPBACK_TARGETS } from "./targets.js";
import { waitFor } from "./wait.js";

export type Role = "api" | "scheduler" | "worker";

/** One Chronoring process of an e2e test. */
export interface Node extends ChronoringProcess {
  name: string;
  roles: Role[];
  /** Its CHRONORING_WORKER_ID (= name), as recorded on the executions it starts. */
  workerId: string;
  /** Every node has a /metrics: the API's, or a bare listener on CHRONORING_METRICS_PORT. */
  metricsUrl: string;
}

/**
 * Chronoring processes of one e2e test file on the shared test backends, under
 * one table and queue prefix, with their logs and the side-effect files in one
 * temp folder. Settings are CHRONORING_* names without the prefix.
 */
export interface Cluster {
  prefix: string;
  /** Temp folder: `<node>.log` files and side-effect logs. */
  dir: string;
  /** The same settings as a Config, for `testStores`. */
  config: Config;
  /**
   * Starts `src/main.ts` (or the cluster's `launch`) with these roles (node id and worker id = `name`);
   * `settings` override the cluster's. Resolves once it serves /metrics and
   * has joined the etcd cluster in its scheduler and worker roles.
   */
  start(name: string, roles: Role[], settings?: Record<string, string>): Promise<Node>;
  /** Waits until the node's scheduler owns `count` partitions (default: all). */
  untilOwns(node: Node, count?: number): Promise<void>;
  /** Sends `signal` to the node; for SIGKILL and SIGTERM waits until it exited, and returns how. */
  signal(node: Node, signal: NodeJS.Signals): Promise<string | undefined>;
  /** One metric of one node (summed over labels). */
  metric(node: Node, name: string): Promise<number>;
  /** One metric summed over the nodes that are still running. */
  metricSum(name: string, nodes?: Node[]): Promise<number>;
  /** Stops every node still running (SIGTERM, SIGKILL after a grace). */
  stopAll(): Promise<void>;
  /** The end of every node's log, for a failed test. */
  logs(): string;
}

/** Defaults for fault tests: few partitions, short intervals and bounds. */
const DEFAULTS: Record<string, string> = {
  PARTITIONS: "8",
  POLL_INTERVAL_MS: "100",
  SWEEP_INTERVAL_MS: "500",
  ...TEST_BACKSTOPS,
  LOOKAHEAD_MS: "1000",
  START_TIMEOUT_MS: "3000",
  VISIBILITY_TIMEOUT_S: "10",
  SCHEDULER_CONCURRENCY: "2",
  WORKER_CONCURRENCY: "4",
  // A SIGKILLed node's lease (membership, leadership) lapses within this.
  SESSION_TTL_MS: "3000",
  FAILOVER_INTERVAL_MS: "500",
  SCRIPT_ALLOW_LIST: "sh",
  // Scripts here are `sh`; no memory cap needed.
  SCRIPT_MEMORY_MB: "0",
  // Test receivers listen on loopback.
  TARGET_ALLOW: LOOPBACK_TARGETS,
  LOG_LEVEL: "info",
  // The fault tests call without tokens.
  AUTH_MODE: "off",
};

const env = (settings: Record<string, string>) =>
  Object.fromEntries(Object.entries(settings).map(([k, v]) => [`CHRONORING_${k}`, v]));

/**
 * A cluster for one test file. Registers an afterEach that prints the nodes'
 * logs when a test failed, and an afterAll that stops every node and removes
 * the temp folder (kept, and named, when a test failed or CHRONORING_E2E_KEEP is set).
 * `launch` (read at each start) runs something else than the sources under tsx.
 */
export function e2eCluster(
  label: string,
  settings: Record<string, string> = {},
  launch?: () => ChronoringLaunch,
): Cluster {
  const b = testBackends();
  const prefix = uniquePrefix(label);
  const dir = mkdtempSync(join(tmpdir(), `chronoring-e2e-${label}-`));
  const base: Record<string, string> = {
    ...DEFAULTS,
    DYNAMODB_ENDPOINT: b.dynamodb,
    SQS_ENDPOINT: b.sqs,
    ETCD_ENDPOINTS: b.etcd,
    AWS_REGION: b.region,
    ETCD_PREFIX: `/${prefix}/`,
    TABLE_PREFIX: prefix,
    QUEUE_PREFIX: prefix,
    ...settings,
  };
  let coordinator: Coordinator | undefined;
  const etcd = () => {
    coordinator ??= createEtcdCoordinator({ endpoints: [b.etcd], prefix: base.ETCD_PREFIX! });
    return coordinator;
  };
  const nodes: Node[] = [];
  /** Starts under way: a failed Promise.all of starts must not leave the others running. */
  const starting = new Set<Promise<unknown>>();
  let failed = false;

  const cluster: Cluster = {
    prefix,
    dir,
    config: loadTestConfig(env(base)),

    async start(name, roles, extra = {}) {
      const port = String(await freePort());
      const own: Record<string, string> = {
        ...base,
        ...extra,
        ROLES: roles.join(","),
        NODE_ID: name,
        WORKER_ID: name,
        ...(roles.includes("api") ? { API_PORT: port } : { METRICS_PORT: port }),
      };
      const pending = startChronoring({
        name,
        env: env(own),
        logDir: dir,
        ...(launch ? { launch: launch() } : {}),
      }).then((started) => {
        const node: Node = {
          ...started,
          name,
          roles,
          workerId: name,
          metricsUrl: started.metricsUrl!,
        };
        nodes.push(node);
        return node;
      });
      starting.add(pending);
      const node = await pending.finally(() => starting.delete(pending));
      for (const role of roles) {
        if (role === "api") continue;
        await waitFor(`${name} to join the cluster as a ${role}`, async () =>
          (await etcd().members(role)).some((m) => m.id === name) ? true : undefined,
        );
      }
      return node;
    },

    async untilOwns(node, count = cluster.config.store.partitions) {
      await waitFor(`${node.name} to own ${count} partitions`, async () =>
        (await cluster.metric(node, "chronoring_partitions_owned")) >= count ? true : undefined,
      );
    },

    async signal(node, signal) {
      if (node.process.hasExited()) return undefined;
      process.kill(node.process.pid, signal);
      if (signal !== "SIGKILL" && signal !== "SIGTERM") return undefined;
      return node.process.exited;
    },

    async metric(node, name) {
      const res = await fetch(node.metricsUrl, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`${node.name} /metrics answered ${res.status}`);
      return metricValue(await res.text(), name);
    },

    async metricSum(name, among = nodes) {
      const live = among.filter((n) => !n.process.hasExited());
      const values = await Promise.all(live.map((n) => cluster.metric(n, name)));
      return values.reduce((a, v) => a + v, 0);
    },

    async stopAll() {
      await Promise.allSettled([...starting]);
      await Promise.all(nodes.map((n) => n.process.stop(3000)));
    },

    logs() {
      return nodes
        .map((n) => `--- ${n.name} (${n.process.logFile})\n${logTail(n.process.logFile)}`)
        .join("\n");
    },
  };

  afterEach((ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    failed = true;
    console.error(`[${label}] logs in ${dir}\n${cluster.logs()}`);
  });
  afterAll(async () => {
    await cluster.stopAll();
    await coordinator?.close();
    if (!failed && !process.env.CHRONORING_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    else console.error(`[${label}] logs kept in ${dir}`);
  });
  return cluster;
}
