import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { freePort } from "../../deploy/local/backends.js";
import {
  type ChronoringLaunch,
  type ChronoringProcess,
  startChronoring,
} from "../../deploy/local/chronoring-process.js";
import { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { TenantService } from "../../gen/chronoring/v1/tenant_service_pb.js";
import { envName, FIELDS } from "../../src/config/settings.js";

/** Where the backends answer; a scenario may point processes at a proxy instead. */
export interface Endpoints {
  etcd: string;
  dynamodb: string;
  sqs: string;
  region: string;
}

export interface StackOptions {
  backends: Endpoints;
  /** Table, queue and etcd key prefix of this run (fresh per run). */
  prefix: string;
  /** CHRONORING_* settings every process gets, over the endpoints and prefixes. */
  settings: Record<string, string>;
  log: (line: string) => void;
  /** How to start the named process, when not under tsx on this host (a test host's wrapper). */
  launch?: (name: string) => ChronoringLaunch | undefined;
  /** How long each process may take to answer once started (default 60 s). */
  readyTimeoutMs?: number;
}

/** Extra environment of one process: CHRONORING_* settings, or others (LD_PRELOAD, FAKETIME). */
export type ProcessEnv = Record<string, string>;

/**
 * Chronoring processes of one benchmark run: each started with the common
 * settings plus its own, each setting that differs from its default printed
 * once, so a reader sees exactly what the figures were measured on.
 */
export interface Stack {
  readonly logDir: string;
  readonly procs: Map<string, ChronoringProcess>;
  api(name?: string, env?: ProcessEnv): Promise<ChronoringProcess>;
  scheduler(name: string, env?: ProcessEnv): Promise<ChronoringProcess>;
  worker(name: string, env?: ProcessEnv): Promise<ChronoringProcess>;
  /** Sends a signal; SIGKILL also forgets the process. */
  signal(name: string, signal: NodeJS.Signals): void;
  /** Names of started processes that have exited (none should, unless killed). */
  exited(): string[];
  /** API clients; with `token`, every call carries it as a bearer token. */
  clients(token?: string): {
    jobs: ReturnType<typeof createClient<typeof JobService>>;
    cluster: ReturnType<typeof createClient<typeof ClusterService>>;
    tenants: ReturnType<typeof createClient<typeof TenantService>>;
  };
  /** The token `waitForCluster` and the default clients call with (auth on). */
  useToken(token: string): void;
  /** Resolves once a leader exists and `nodes` scheduler nodes own partitions. */
  waitForCluster(nodes: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The timings of the failover and partition benches: a node lost is noticed
 * within seconds and its runs are sent again soon after, so that a fault's
 * effect fits in a short window.
 */
export const FAST_FAILOVER_SETTINGS: Readonly<Record<string, string>> = {
  CHRONORING_SESSION_TTL_MS: "2000",
  CHRONORING_LOOKAHEAD_MS: "1000",
  CHRONORING_POLL_INTERVAL_MS: "500",
  CHRONORING_START_TIMEOUT_MS: "4000",
  CHRONORING_SWEEP_INTERVAL_MS: "1000",
  CHRONORING_FAILOVER_INTERVAL_MS: "1000",
  CHRONORING_VISIBILITY_TIMEOUT_S: "10",
  CHRONORING_LOG_LEVEL: "warn",
};

const DEFAULTS = new Map(FIELDS.map((f) => [envName(f.key), f.default]));

export function createStack(options: StackOptions): Stack {
  const { backends, prefix, log } = options;
  const logDir = mkdtempSync(join(tmpdir(), "chronoring-bench-"));
  const common: Record<string, string> = {
    CHRONORING_DYNAMODB_ENDPOINT: backends.dynamodb,
    CHRONORING_SQS_ENDPOINT: backends.sqs,
    CHRONORING_ETCD_ENDPOINTS: backends.etcd,
    CHRONORING_AWS_REGION: backends.region,
    CHRONORING_TABLE_PREFIX: prefix,
    CHRONORING_QUEUE_PREFIX: prefix,
    CHRONORING_ETCD_PREFIX: `/${prefix}/`,
    ...options.settings,
  };
  log(`settings changed from the defaults: ${changed(common)}`);
  log(`process logs in ${logDir}`);
  const procs = new Map<string, ChronoringProcess>();
  const killed = new Set<string>();
  let defaultToken: string | undefined;
  const start = async (name: string, env: ProcessEnv) => {
    const own = changed(env);
    if (own) log(`${name}: ${own}`);
    const launch = options.launch?.(name);
    const proc = await startChronoring({
      name,
      logDir,
      env: { ...common, ...env },
      ...(launch ? { launch } : {}),
      ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
    });
    procs.set(name, proc);
    return proc;
  };
  const stack: Stack = {
    logDir,
    procs,
    api: async (name = "api", env = {}) =>
      start(name, {
        CHRONORING_ROLES: "api",
        CHRONORING_API_PORT: String(await freePort()),
        ...env,
      }),
    scheduler: async (name, env = {}) =>
      start(name, {
        CHRONORING_ROLES: "scheduler",
        CHRONORING_NODE_ID: name,
        CHRONORING_METRICS_PORT: String(await freePort()),
        ...env,
      }),
    worker: async (name, env = {}) =>
      start(name, {
        CHRONORING_ROLES: "worker",
        CHRONORING_WORKER_ID: name,
        CHRONORING_METRICS_PORT: String(await freePort()),
        ...env,
      }),
    signal(name, signal) {
      process.kill(procs.get(name)!.process.pid, signal);
      if (signal === "SIGKILL") {
        killed.add(name);
        procs.delete(name);
      }
    },
    exited: () => [...procs].filter(([, p]) => p.process.hasExited()).map(([n]) => n),
    clients(token = defaultToken) {
      const api = [...procs.values()].find((p) => p.apiUrl);
      if (!api) throw new Error("no process runs the api role");
      const bearer: Interceptor = (next) => (req) => {
        if (token) req.header.set("authorization", `Bearer ${token}`);
        return next(req);
      };
      const transport = createGrpcTransport({ baseUrl: api.apiUrl!, interceptors: [bearer] });
      return {
        jobs: createClient(JobService, transport),
        cluster: createClient(ClusterService, transport),
        tenants: createClient(TenantService, transport),
      };
    },
    useToken(token) {
      defaultToken = token;
    },
    async waitForCluster(nodes) {
      const { cluster } = stack.clients();
      for (let view = await cluster.getCluster({}); ; view = await cluster.getCluster({})) {
        if (view.leaderId && new Set(view.partitions.map((p) => p.nodeId)).size === nodes) return;
        await sleep(200);
      }
    },
    async stop() {
      await Promise.all([...procs.values()].map((p) => p.process.stop().catch(() => {})));
    },
  };
  return stack;
}

/** `NAME=value` for each CHRONORING_* setting that differs from its default, and each other variable. */
function changed(env: Record<string, string>): string {
  return Object.entries(env)
    .filter(([k, v]) => !k.startsWith("CHRONORING_") || DEFAULTS.get(k) !== v)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}
