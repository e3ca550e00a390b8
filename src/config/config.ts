import { hostname } from "node:os";

/**
 * The one typed configuration object, read from the environment
 * (`CHRONORING_API_PORT=7070`) and command-line flags (`--api-port 7070`,
 * which win), validated once at start. Defaults sit beside each field.
 */
export interface Config {
  /** Which roles this process runs: any of api, scheduler, worker. */
  roles: Array<"api" | "scheduler" | "worker">;
  logLevel: string;
  api: { host: string; port: number };
  /** Port of a bare /metrics listener for processes without the API role; 0 = none. */
  metricsPort: number;
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
  };
  store: { tablePrefix: string; partitions: number };
  queue: {
    prefix: string;
    visibilityTimeoutS: number;
    maxReceiveCount: number;
    /** Longest delivery delay the queue takes (SQS: 15 min); a later retry waits in the store. */
    maxDelayMs: number;
  };
  scheduler: {
    /** How far ahead runs are claimed, then held until their exact time. */
    lookaheadMs: number;
    /**
     * Longest pause between due-index polls of a partition with nothing due
     * soon: bounds how late a job is seen whose creation sent no wake hint
     * (written by other means, or etcd was down). A partition with a known
     * next run is polled when it enters the look-ahead.
     */
    pollIntervalMs: number;
    /** Most runs claimed per partition per pass. */
    batchSize: number;
    /** A claimed run not started within this long is sent again. */
    startTimeoutMs: number;
    /** How often the recovery sweep runs per partition. */
    sweepIntervalMs: number;
    /** How far back the first sweep after start looks. */
    recoveryHorizonMs: number;
    /** Partition loops polled concurrently. */
    concurrency: number;
    /** How long the scheduler trusts a cached calendar: a calendar change is seen within this. */
    calendarTtlMs: number;
  };
  worker: {
    id: string;
    concurrency: number;
    scriptAllowList: string[];
    scriptMemoryMb: number;
    maxOutputBytes: number;
    /** How soon a run waiting for a free slot under its job's limits looks again. */
    limitRetryMs: number;
  };
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
}

type Kind = "string" | "int" | "bool" | "list";

interface Field {
  key: string;
  kind: Kind;
  default: string;
  min?: number;
  max?: number;
  oneOf?: string[];
}

const FIELDS: Field[] = [
  {
    key: "roles",
    kind: "list",
    default: "api,scheduler,worker",
    oneOf: ["api", "scheduler", "worker"],
  },
  {
    key: "log-level",
    kind: "string",
    default: "info",
    oneOf: ["trace", "debug", "info", "warn", "error", "fatal", "silent"],
  },
  { key: "api-host", kind: "string", default: "127.0.0.1" },
  { key: "api-port", kind: "int", default: "7070", min: 0, max: 65535 },
  { key: "metrics-port", kind: "int", default: "0", min: 0, max: 65535 },
  { key: "aws-region", kind: "string", default: "us-east-1" },
  { key: "dynamodb-endpoint", kind: "string", default: "http://127.0.0.1:8000" },
  { key: "sqs-endpoint", kind: "string", default: "http://127.0.0.1:4566" },
  { key: "aws-local-credentials", kind: "bool", default: "true" },
  { key: "aws-max-attempts", kind: "int", default: "5", min: 1, max: 20 },
  { key: "aws-request-timeout-ms", kind: "int", default: "10000", min: 100, max: 120_000 },
  { key: "etcd-endpoints", kind: "list", default: "http://127.0.0.1:2379" },
  { key: "etcd-prefix", kind: "string", default: "/chronoring/" },
  { key: "session-ttl-ms", kind: "int", default: "5000", min: 1000, max: 300_000 },
  { key: "node-id", kind: "string", default: "" },
  { key: "failover-interval-ms", kind: "int", default: "5000", min: 100, max: 600_000 },
  { key: "table-prefix", kind: "string", default: "chronoring-" },
  { key: "partitions", kind: "int", default: "256", min: 1, max: 65_536 },
  { key: "queue-prefix", kind: "string", default: "chronoring-" },
  { key: "visibility-timeout-s", kind: "int", default: "30", min: 5, max: 43_200 },
  { key: "max-receive-count", kind: "int", default: "10", min: 1, max: 1000 },
  { key: "queue-max-delay-ms", kind: "int", default: "900000", min: 0, max: 900_000 },
  { key: "lookahead-ms", kind: "int", default: "5000", min: 0, max: 60_000 },
  { key: "poll-interval-ms", kind: "int", default: "10000", min: 10, max: 60_000 },
  { key: "batch-size", kind: "int", default: "100", min: 1, max: 1000 },
  { key: "start-timeout-ms", kind: "int", default: "30000", min: 1000, max: 3_600_000 },
  { key: "sweep-interval-ms", kind: "int", default: "10000", min: 100, max: 600_000 },
  { key: "recovery-horizon-ms", kind: "int", default: "86400000", min: 60_000, max: 2_592_000_000 },
  { key: "scheduler-concurrency", kind: "int", default: "32", min: 1, max: 256 },
  { key: "calendar-ttl-ms", kind: "int", default: "30000", min: 100, max: 3_600_000 },
  { key: "worker-id", kind: "string", default: "" },
  { key: "worker-concurrency", kind: "int", default: "16", min: 1, max: 1024 },
  { key: "script-allow-list", kind: "list", default: "" },
  { key: "script-memory-mb", kind: "int", default: "1024", min: 0, max: 65_536 },
  { key: "max-output-bytes", kind: "int", default: "4096", min: 256, max: 262_144 },
  { key: "limit-retry-ms", kind: "int", default: "1000", min: 100, max: 600_000 },
  { key: "smtp-url", kind: "string", default: "" },
  { key: "smtp-from", kind: "string", default: "chronoring@localhost" },
  { key: "notify-attempts", kind: "int", default: "5", min: 1, max: 20 },
  { key: "notify-backoff-ms", kind: "int", default: "1000", min: 10, max: 600_000 },
];

/** A setting that did not validate; the message names it as the user wrote it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const envName = (key: string) => `CHRONORING_${key.toUpperCase().replaceAll("-", "_")}`;

function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    if (eq > 0) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) flags.set(arg.slice(2), "true");
      else {
        flags.set(arg.slice(2), next);
        i++;
      }
    }
  }
  for (const key of flags.keys()) {
    if (!FIELDS.some((f) => f.key === key)) throw new ConfigError(`unknown flag --${key}`);
  }
  return flags;
}

function readValues(
  env: NodeJS.ProcessEnv,
  argv: string[],
): Map<string, string | number | boolean | string[]> {
  const flags = parseFlags(argv);
  const values = new Map<string, string | number | boolean | string[]>();
  for (const field of FIELDS) {
    const raw = flags.get(field.key) ?? env[envName(field.key)] ?? field.default;
    const where = flags.has(field.key) ? `--${field.key}` : envName(field.key);
    switch (field.kind) {
      case "int": {
        const v = Number(raw);
        if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v)) {
          throw new ConfigError(`${where}: "${raw}" is not a whole number`);
        }
        if (
          (field.min !== undefined && v < field.min) ||
          (field.max !== undefined && v > field.max)
        ) {
          throw new ConfigError(`${where}: ${v} is outside ${field.min}..${field.max}`);
        }
        values.set(field.key, v);
        break;
      }
      case "bool": {
        if (!["true", "false", "1", "0"].includes(raw))
          throw new ConfigError(`${where}: "${raw}" is not true or false`);
        values.set(field.key, raw === "true" || raw === "1");
        break;
      }
      case "list": {
        const items = raw
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean);
        const bad = field.oneOf && items.find((x) => !field.oneOf!.includes(x));
        if (bad)
          throw new ConfigError(`${where}: "${bad}" is not one of ${field.oneOf!.join(", ")}`);
        values.set(field.key, items);
        break;
      }
      default: {
        if (field.oneOf && !field.oneOf.includes(raw)) {
          throw new ConfigError(`${where}: "${raw}" is not one of ${field.oneOf.join(", ")}`);
        }
        values.set(field.key, raw);
      }
    }
  }
  return values;
}

/** Reads and validates the configuration; throws ConfigError naming the bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  const v = readValues(env, argv);
  const int = (k: string) => v.get(k) as number;
  const str = (k: string) => v.get(k) as string;
  const list = (k: string) => v.get(k) as string[];
  const roles = list("roles") as Config["roles"];
  if (roles.length === 0)
    throw new ConfigError(`${envName("roles")}: at least one role is required`);
  for (const k of ["table-prefix", "queue-prefix"]) {
    if (!/^[A-Za-z0-9_.-]{0,40}$/.test(str(k))) {
      throw new ConfigError(`${envName(k)}: only letters, digits, _ . - and at most 40 characters`);
    }
  }
  return {
    roles,
    logLevel: str("log-level"),
    api: { host: str("api-host"), port: int("api-port") },
    metricsPort: int("metrics-port"),
    aws: {
      region: str("aws-region"),
      dynamodbEndpoint: str("dynamodb-endpoint"),
      sqsEndpoint: str("sqs-endpoint"),
      localCredentials: v.get("aws-local-credentials") as boolean,
      maxAttempts: int("aws-max-attempts"),
      requestTimeoutMs: int("aws-request-timeout-ms"),
    },
    etcd: {
      endpoints: list("etcd-endpoints"),
      prefix: str("etcd-prefix"),
      sessionTtlMs: int("session-ttl-ms"),
    },
    cluster: {
      nodeId: str("node-id") || `${hostname()}-${process.pid}`,
      failoverIntervalMs: int("failover-interval-ms"),
    },
    store: { tablePrefix: str("table-prefix"), partitions: int("partitions") },
    queue: {
      prefix: str("queue-prefix"),
      visibilityTimeoutS: int("visibility-timeout-s"),
      maxReceiveCount: int("max-receive-count"),
      maxDelayMs: int("queue-max-delay-ms"),
    },
    scheduler: {
      lookaheadMs: int("lookahead-ms"),
      pollIntervalMs: int("poll-interval-ms"),
      batchSize: int("batch-size"),
      startTimeoutMs: int("start-timeout-ms"),
      sweepIntervalMs: int("sweep-interval-ms"),
      recoveryHorizonMs: int("recovery-horizon-ms"),
      concurrency: int("scheduler-concurrency"),
      calendarTtlMs: int("calendar-ttl-ms"),
    },
    worker: {
      id: str("worker-id") || str("node-id") || `${hostname()}-${process.pid}`,
      concurrency: int("worker-concurrency"),
      scriptAllowList: list("script-allow-list"),
      scriptMemoryMb: int("script-memory-mb"),
      maxOutputBytes: int("max-output-bytes"),
      limitRetryMs: int("limit-retry-ms"),
    },
    notify: {
      smtpUrl: smtpUrl(str("smtp-url")),
      smtpFrom: str("smtp-from"),
      attempts: int("notify-attempts"),
      backoffMs: int("notify-backoff-ms"),
    },
  };
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

/** Every setting with its environment variable and default, for the README table. */
export function describeSettings(): Array<{ flag: string; env: string; default: string }> {
  return FIELDS.map((f) => ({ flag: `--${f.key}`, env: envName(f.key), default: f.default }));
}
