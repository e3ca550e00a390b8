import { hostname } from "node:os";
import type { DatabaseConnectionSettings } from "../core/database-target.js";
import { parseFileRoots } from "../core/file-target.js";
import { compileTargetAllow } from "../core/target-address.js";
import type { TenantQuotas } from "../core/tenant-quota.js";
import { type AuthConfig, authConfig } from "./auth-config.js";
import { type BackfillConfig, backfillConfig } from "./backfill-config.js";
import { databaseConnections } from "./database-connections.js";
import {
  checkScriptUserSpec,
  idLookup,
  resolveScriptUser,
  type ScriptUser,
  type UserLookup,
} from "./script-user.js";
import { ConfigError, envName, readValues } from "./settings.js";

export { ConfigError } from "./settings.js";

/**
 * The one typed configuration object, read from the environment
 * (`CHRONORING_API_PORT=7070`) and command-line flags (`--api-port 7070`,
 * which win), validated once at start. Defaults sit beside each field.
 */
export interface Config {
  /** Which roles this process runs: any of api, scheduler, worker. */
  roles: Array<"api" | "scheduler" | "worker">;
  logLevel: string;
  api: {
    host: string;
    port: number;
    /** How long a graceful close lets calls in flight finish before it drops connections. */
    closeTimeoutMs: number;
    /** Largest request body the API takes; a larger one is refused before it is read. */
    maxBodyBytes: number;
    /** Origins whose browser pages may call the API (CORS): exact origins, or `*` alone. */
    corsOrigins: string[];
    /**
     * Longest a store call made for an API call may take, the SDK's retries
     * included, before the call answers Unavailable (a frozen or cut-off store).
     */
    storeTimeoutMs: number;
  };
  /** Port of a bare /metrics listener for processes without the API role; 0 = none. */
  metricsPort: number;
  /** How long a starting process waits for DynamoDB and SQS to answer before it gives up. */
  backendWaitMs: number;
  aws: {
    region: string;
    /** DynamoDB endpoint; empty = AWS. */
    dynamodbEndpoint: string;
    /** SQS endpoint; empty = AWS. */
    sqsEndpoint: string;
    /** Use static dummy credentials (local emulators). */
    localCredentials: boolean;
    maxAttempts: number;
    requestTimeoutMs: number;
  };
  /** Empty endpoints: standalone (this process owns every partition, no fencing). */
  etcd: { endpoints: string[]; prefix: string; sessionTtlMs: number };
  cluster: {
    /** This node's id among the scheduler members. */
    nodeId: string;
    /** How often the leader looks for lost workers besides membership events. */
    failoverIntervalMs: number;
    /** How long the leader lets membership changes settle before it reassigns partitions. */
    assignmentSettleMs: number;
    /**
     * A scheduler node whose store calls keep failing or hanging this long leaves the
     * cluster (its partitions go to the others) until the store answers again;
     * 0 = never (the default, until a slow but healthy pass is told apart).
     */
    storeOutageMs: number;
  };
  store: {
    /** `memory`: every store and queue in this process; nothing durable, no backends. */
    kind: "dynamodb" | "memory";
    tablePrefix: string;
    partitions: number;
  };
  queue: {
    prefix: string;
    visibilityTimeoutS: number;
    maxReceiveCount: number;
    /** Runs sent together share a message, up to this many (1: one run a message). */
    runsPerMessage: number;
    /** Longest delivery delay the queue takes (SQS: 15 min); a later retry waits in the store. */
    maxDelayMs: number;
  };
  scheduler: {
    /** How far ahead runs are claimed, then held until their exact time. */
    lookaheadMs: number;
    /**
     * How long before its planned start a claimed run is sent, in batches;
     * the worker holds it until its planned start (0: sent at its time).
     */
    sendAheadMs: number;
    /** A due-index read looks this far beyond the look-ahead (and one run more); the longest sleep of a loop. */
    pollIntervalMs: number;
    /**
     * Longest pause between due-index reads of a partition with nothing due
     * soon: bounds how late a job is seen whose change sent no wake hint
     * (written by other means, or etcd was down). A partition with a known
     * next run is polled when it enters the look-ahead.
     */
    pollBackstopMs: number;
    /** Most runs claimed per partition per pass. */
    batchSize: number;
    /**
     * Claim writes of MEDIUM and LOW runs one scheduler node has in flight at
     * most; HIGH claims are not held back (src/scheduler/claim-gate.ts).
     */
    claimConcurrency: number;
    /** A claimed run not started within this long is sent again. */
    startTimeoutMs: number;
    /** The shortest pause between two recovery sweeps of a partition. */
    sweepIntervalMs: number;
    /**
     * The longest pause between two recovery sweeps of a partition with no
     * deadline known to its node; at most `queue.maxDelayMs` (a retry kept
     * in the store is then always seen before it is due).
     */
    sweepBackstopMs: number;
    /** How far back the first sweep after start looks. */
    recoveryHorizonMs: number;
    /** Partition loops polled concurrently. */
    concurrency: number;
    /** How long the scheduler trusts a cached calendar: a calendar change is seen within this. */
    calendarTtlMs: number;
    /**
     * How long after its time a HIGH run not started is claimed or sent again
     * by its partition's standby node (src/scheduler/standby.ts); 0: no standby.
     */
    standbyHedgeMs: number;
  };
  worker: {
    id: string;
    concurrency: number;
    /** Received runs that may wait in the worker's intake beyond `concurrency` (they stay invisible in the queue). */
    intakeBuffer: number;
    /**
     * Starts slower than `START_SLOT_MS` (a stalled store) that may give
     * their slot back and end beside the slots; 0: a start holds its slot.
     */
    startsBeyondSlots: number;
    /** How long a stopping worker lets its runs finish before it aborts them. */
    drainTimeoutMs: number;
    scriptAllowList: string[];
    scriptMemoryMb: number;
    /**
     * Who scripts run as when the worker runs as root; undefined when it does
     * not (scripts then run as the worker's own user) or has no worker role.
     */
    scriptUser: ScriptUser | undefined;
    /** RLIMIT_NPROC of a script: every process and thread of its uid counts, not only its own; 0: none. */
    scriptMaxProcs: number;
    /** Names passed from the worker's environment to scripts, and that a job's env may set. */
    scriptEnvAllow: string[];
    /** Root name → absolute directory that file jobs work under. */
    fileRoots: Record<string, string>;
    /** The PostgreSQL databases `database` jobs may name, by name; read only by the worker role. */
    databaseConnections: Record<string, DatabaseConnectionSettings>;
    maxOutputBytes: number;
    /** How soon a run waiting for a free slot under its job's limits looks again. */
    limitRetryMs: number;
    /** How often the worker adds its start counts to the fire stats (GetFireStats). */
    fireStatsFlushMs: number;
  };
  /**
   * Internal addresses (CIDRs) and host names (exact, or `*.suffix`) that
   * `http` and `webhook` targets and notification webhooks may reach; every
   * other loopback, private, link-local or otherwise special address is
   * refused (docs/security.md). Empty: none.
   */
  targetAllow: string[];
  /** Run-outcome notifications (webhook, email). */
  notify: {
    /** SMTP relay URL (smtp://host:port, smtps://user:pass@host); empty: email targets refused. */
    smtpUrl: string;
    /** Sender address of notification emails. */
    smtpFrom: string;
    /** Tries per notification before it is given up (logged and counted). */
    attempts: number;
    /** Delay before the second try; doubles after each. */
    backoffMs: number;
  };
  /** Authentication of API callers (JWT) and of /metrics; see docs/security.md. */
  auth: AuthConfig;
  /** The audit trail of API calls (docs/security.md, "Audit"). */
  audit: {
    /** Days an event stays in the store (its TTL); the log lines are kept as logs are. */
    retentionDays: number;
    /** Most events waiting to be stored; past it, events reach only the log. */
    queueMax: number;
  };
  /**
   * The built admin UI the api role serves at `/ui/` (`npm run build:ui`);
   * empty: `dist/ui` of this installation.
   */
  uiDir: string;
  /** The leader's backfill driver (docs/backfill.md). */
  backfill: BackfillConfig;
  /** Per-tenant quotas (docs/tenants-and-quotas.md). */
  tenants: {
    /** The quotas of a tenant an admin has not set (0: unlimited). */
    defaults: TenantQuotas;
  };
  /** OpenTelemetry traces (docs/observability.md "Traces"). */
  tracing: {
    /** Base URL of an OTLP/HTTP receiver (spans go to `<url>/v1/traces`); empty: tracing off. */
    otlpEndpoint: string;
    /** Share of new traces recorded, percent; a trace continued from a caller follows its choice. */
    samplePercent: number;
  };
}

/** What loadConfig asks of the host; tests give their own. */
export interface Host {
  /** This process's uid; undefined where there are none (Windows). */
  uid: number | undefined;
  lookupUser: UserLookup;
}

const thisHost: Host = { uid: process.getuid?.(), lookupUser: idLookup };

/** Reads and validates the configuration; throws ConfigError naming the bad setting. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = [],
  host: Host = thisHost,
): Config {
  const v = readValues(env, argv);
  const int = (k: string) => v.get(k) as number;
  const str = (k: string) => v.get(k) as string;
  const list = (k: string) => v.get(k) as string[];
  const roles = list("roles") as Config["roles"];
  if (roles.length === 0)
    throw new ConfigError(`${envName("roles")}: at least one role is required`);
  const store = str("store") as Config["store"]["kind"];
  if (
    store === "memory" &&
    !(["api", "scheduler", "worker"] as const).every((r) => roles.includes(r))
  ) {
    // Another process could not see this one's jobs or runs.
    throw new ConfigError(`${envName("store")}: memory runs every role in one process`);
  }
  for (const k of ["table-prefix", "queue-prefix"]) {
    if (!/^[A-Za-z0-9_.-]{0,40}$/.test(str(k))) {
      throw new ConfigError(`${envName(k)}: only letters, digits, _ . - and at most 40 characters`);
    }
  }
  return {
    roles,
    logLevel: str("log-level"),
    api: {
      host: str("api-host"),
      port: int("api-port"),
      closeTimeoutMs: int("api-close-timeout-ms"),
      maxBodyBytes: int("api-max-body-bytes"),
      corsOrigins: corsOrigins(list("cors-origins")),
      storeTimeoutMs: int("api-store-timeout-ms"),
    },
    metricsPort: int("metrics-port"),
    backendWaitMs: int("backend-wait-ms"),
    aws: {
      region: str("aws-region"),
      dynamodbEndpoint: str("dynamodb-endpoint"),
      sqsEndpoint: str("sqs-endpoint"),
      localCredentials: v.get("aws-local-credentials") as boolean,
      maxAttempts: int("aws-max-attempts"),
      requestTimeoutMs: int("aws-request-timeout-ms"),
    },
    etcd: {
      // In memory the process is alone: it owns every partition (standalone).
      endpoints: store === "memory" ? [] : list("etcd-endpoints"),
      prefix: str("etcd-prefix"),
      sessionTtlMs: int("session-ttl-ms"),
    },
    cluster: {
      nodeId: str("node-id") || `${hostname()}-${process.pid}`,
      failoverIntervalMs: int("failover-interval-ms"),
      assignmentSettleMs: int("assignment-settle-ms"),
      storeOutageMs: int("store-outage-ms"),
    },
    store: {
      kind: store,
      tablePrefix: str("table-prefix"),
      partitions: int("partitions"),
    },
    queue: {
      prefix: str("queue-prefix"),
      visibilityTimeoutS: int("visibility-timeout-s"),
      maxReceiveCount: int("max-receive-count"),
      runsPerMessage: int("queue-runs-per-message"),
      maxDelayMs: int("queue-max-delay-ms"),
    },
    scheduler: {
      lookaheadMs: int("lookahead-ms"),
      sendAheadMs: int("send-ahead-ms"),
      pollIntervalMs: int("poll-interval-ms"),
      pollBackstopMs: int("poll-backstop-ms"),
      batchSize: int("batch-size"),
      claimConcurrency: int("claim-concurrency"),
      startTimeoutMs: int("start-timeout-ms"),
      sweepIntervalMs: int("sweep-interval-ms"),
      // A kept retry is written at least the queue's longest delay before it
      // is due; a sweep at least that often learns of it in time.
      sweepBackstopMs: Math.max(
        int("sweep-interval-ms"),
        Math.min(int("sweep-backstop-ms"), int("queue-max-delay-ms")),
      ),
      recoveryHorizonMs: int("recovery-horizon-ms"),
      concurrency: int("scheduler-concurrency"),
      calendarTtlMs: int("calendar-ttl-ms"),
      standbyHedgeMs: int("standby-hedge-ms"),
    },
    worker: {
      id: str("worker-id") || str("node-id") || `${hostname()}-${process.pid}`,
      concurrency: int("worker-concurrency"),
      intakeBuffer: int("worker-intake-buffer"),
      startsBeyondSlots: int("worker-starts-beyond-slots"),
      drainTimeoutMs: int("worker-drain-timeout-ms"),
      scriptAllowList: list("script-allow-list"),
      scriptMemoryMb: int("script-memory-mb"),
      scriptUser: scriptUser(str("script-user"), roles, host),
      scriptMaxProcs: int("script-max-procs"),
      scriptEnvAllow: envNames(list("script-env-allow"), envName("script-env-allow")),
      fileRoots: fileRoots(list("file-roots")),
      // Only a worker opens them; other roles need not see the file.
      databaseConnections: roles.includes("worker")
        ? databaseConnections(str("database-connections"))
        : {},
      maxOutputBytes: int("max-output-bytes"),
      limitRetryMs: int("limit-retry-ms"),
      fireStatsFlushMs: int("fire-stats-flush-ms"),
    },
    targetAllow: targetAllow(list("target-allow")),
    notify: {
      smtpUrl: smtpUrl(str("smtp-url")),
      smtpFrom: str("smtp-from"),
      attempts: int("notify-attempts"),
      backoffMs: int("notify-backoff-ms"),
    },
    auth: authConfig(v, {
      api: roles.includes("api"),
      bareMetrics: !roles.includes("api") && int("metrics-port") > 0,
    }),
    audit: { retentionDays: int("audit-retention-days"), queueMax: int("audit-queue-max") },
    uiDir: str("ui-dir"),
    backfill: backfillConfig(v),
    tenants: {
      defaults: {
        maxActiveSchedules: int("tenant-max-active-schedules"),
        maxFiresPerMinute: int("tenant-max-fires-per-minute"),
        maxConcurrentRuns: int("tenant-max-concurrent-runs"),
      },
    },
    tracing: {
      otlpEndpoint: httpUrl(str("otlp-endpoint"), envName("otlp-endpoint")),
      samplePercent: int("trace-sample-percent"),
    },
  };
}

/** Resolved only where it is used: a worker running as root (it then refuses to start without one). */
function scriptUser(spec: string, roles: Config["roles"], host: Host): ScriptUser | undefined {
  const where = envName("script-user");
  if (!roles.includes("worker") || host.uid !== 0) {
    checkScriptUserSpec(spec, where);
    return undefined;
  }
  return resolveScriptUser(spec, where, host.lookupUser);
}

/** Exact origins (`scheme://host[:port]`, as browsers send them), or `*` alone. */
function corsOrigins(origins: string[]): string[] {
  const where = envName("cors-origins");
  if (origins.includes("*")) {
    if (origins.length > 1) throw new ConfigError(`${where}: "*" stands alone`);
    return origins;
  }
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {}
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(`${where}: "${origin}" is not an origin like https://app.example.com`);
    }
  }
  return origins;
}

function fileRoots(entries: string[]): Record<string, string> {
  try {
    return parseFileRoots(entries);
  } catch (err) {
    throw new ConfigError(`${envName("file-roots")}: ${(err as Error).message}`);
  }
}

function envNames(names: string[], where: string): string[] {
  const bad = names.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  if (bad !== undefined) throw new ConfigError(`${where}: "${bad}" is not a variable name`);
  return names;
}

function smtpUrl(raw: string): string {
  if (raw === "") return raw;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "smtp:" && url.protocol !== "smtps:") || url.hostname === "") {
    throw new ConfigError(`${envName("smtp-url")}: "${raw}" is not an smtp:// or smtps:// URL`);
  }
  return raw;
}

/** Empty, or an http(s) URL. */
function httpUrl(raw: string, where: string): string {
  if (raw === "") return raw;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new ConfigError(`${where}: "${raw}" is not an http:// or https:// URL`);
  }
  return raw;
}

function targetAllow(entries: string[]): string[] {
  try {
    compileTargetAllow(entries);
  } catch (err) {
    throw new ConfigError(`${envName("target-allow")}: ${(err as Error).message}`);
  }
  return entries;
}
