/**
 * Every setting: its name (the flag; the environment variable is
 * `CHRONORING_` + the name in upper snake case), kind, default and bounds.
 * `config.ts` turns the values into the typed Config.
 */

export type Kind = "string" | "int" | "bool" | "list";

export interface Field {
  key: string;
  kind: Kind;
  default: string;
  min?: number;
  max?: number;
  oneOf?: string[];
}

export const FIELDS: Field[] = [
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
  // 1 KiB..64 MiB: a job is at most 256 KiB serialized.
  { key: "api-max-body-bytes", kind: "int", default: "1048576", min: 1024, max: 67_108_864 },
  // Browser origins allowed to call the API (CORS); `*` only when written.
  { key: "cors-origins", kind: "list", default: "" },
  { key: "api-close-timeout-ms", kind: "int", default: "10000", min: 0, max: 600_000 },
  { key: "api-store-timeout-ms", kind: "int", default: "5000", min: 100, max: 120_000 },
  { key: "metrics-port", kind: "int", default: "0", min: 0, max: 65535 },
  { key: "backend-wait-ms", kind: "int", default: "60000", min: 0, max: 3_600_000 },
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
  { key: "assignment-settle-ms", kind: "int", default: "200", min: 0, max: 60_000 },
  { key: "store-outage-ms", kind: "int", default: "0", min: 0, max: 600_000 },
  // memory: every store and queue in this process, not durable (README).
  { key: "store", kind: "string", default: "dynamodb", oneOf: ["dynamodb", "memory"] },
  { key: "table-prefix", kind: "string", default: "chronoring-" },
  { key: "partitions", kind: "int", default: "256", min: 1, max: 65_536 },
  { key: "queue-prefix", kind: "string", default: "chronoring-" },
  { key: "visibility-timeout-s", kind: "int", default: "30", min: 5, max: 43_200 },
  { key: "max-receive-count", kind: "int", default: "10", min: 1, max: 1000 },
  // Runs sent together share a message, up to this many (1: a message a run).
  { key: "queue-runs-per-message", kind: "int", default: "10", min: 1, max: 10 },
  { key: "queue-max-delay-ms", kind: "int", default: "900000", min: 0, max: 900_000 },
  { key: "lookahead-ms", kind: "int", default: "5000", min: 0, max: 60_000 },
  // 0 sends each run at its time; the worker holds a run sent ahead until then.
  { key: "send-ahead-ms", kind: "int", default: "500", min: 0, max: 10_000 },
  { key: "poll-interval-ms", kind: "int", default: "10000", min: 10, max: 60_000 },
  { key: "poll-backstop-ms", kind: "int", default: "120000", min: 10, max: 3_600_000 },
  { key: "batch-size", kind: "int", default: "100", min: 1, max: 1000 },
  { key: "claim-concurrency", kind: "int", default: "32", min: 1, max: 1024 },
  { key: "start-timeout-ms", kind: "int", default: "30000", min: 1000, max: 3_600_000 },
  { key: "sweep-interval-ms", kind: "int", default: "10000", min: 100, max: 600_000 },
  { key: "sweep-backstop-ms", kind: "int", default: "300000", min: 100, max: 3_600_000 },
  { key: "recovery-horizon-ms", kind: "int", default: "86400000", min: 60_000, max: 2_592_000_000 },
  { key: "scheduler-concurrency", kind: "int", default: "32", min: 1, max: 256 },
  // 0 turns the standby of HIGH runs off (src/scheduler/standby.ts).
  { key: "standby-hedge-ms", kind: "int", default: "400", min: 0, max: 60_000 },
  { key: "calendar-ttl-ms", kind: "int", default: "30000", min: 100, max: 3_600_000 },
  { key: "worker-id", kind: "string", default: "" },
  { key: "worker-concurrency", kind: "int", default: "32", min: 1, max: 1024 },
  { key: "worker-intake-buffer", kind: "int", default: "16", min: 0, max: 1024 },
  { key: "worker-starts-beyond-slots", kind: "int", default: "64", min: 0, max: 4096 },
  { key: "worker-drain-timeout-ms", kind: "int", default: "10000", min: 0, max: 3_600_000 },
  { key: "script-allow-list", kind: "list", default: "" },
  { key: "script-memory-mb", kind: "int", default: "1024", min: 0, max: 65_536 },
  { key: "script-user", kind: "string", default: "nobody" },
  { key: "script-max-procs", kind: "int", default: "256", min: 0, max: 4_194_304 },
  { key: "script-env-allow", kind: "list", default: "" },
  { key: "file-roots", kind: "list", default: "" },
  // JSON object or a file path: the databases `database` jobs may name (database-connections.ts).
  { key: "database-connections", kind: "string", default: "" },
  { key: "max-output-bytes", kind: "int", default: "4096", min: 256, max: 262_144 },
  { key: "limit-retry-ms", kind: "int", default: "1000", min: 100, max: 600_000 },
  { key: "fire-stats-flush-ms", kind: "int", default: "10000", min: 100, max: 60_000 },
  { key: "backfill-interval-ms", kind: "int", default: "1000", min: 50, max: 600_000 },
  { key: "backfill-max-in-flight", kind: "int", default: "200", min: 1, max: 100_000 },
  { key: "backfill-worker-share", kind: "int", default: "25", min: 1, max: 100 },
  {
    key: "tenant-max-active-schedules",
    kind: "int",
    default: "10000",
    min: 0,
    max: 100_000_000,
  },
  {
    key: "tenant-max-fires-per-minute",
    kind: "int",
    default: "0",
    min: 0,
    max: 100_000_000,
  },
  {
    key: "tenant-max-concurrent-runs",
    kind: "int",
    default: "0",
    min: 0,
    max: 100_000_000,
  },
  { key: "target-allow", kind: "list", default: "" },
  { key: "smtp-url", kind: "string", default: "" },
  { key: "smtp-from", kind: "string", default: "chronoring@localhost" },
  { key: "notify-attempts", kind: "int", default: "5", min: 1, max: 20 },
  { key: "notify-backoff-ms", kind: "int", default: "1000", min: 10, max: 600_000 },
  { key: "auth-mode", kind: "string", default: "jwt", oneOf: ["jwt", "off"] },
  { key: "auth-jwks", kind: "string", default: "" },
  { key: "auth-issuer", kind: "string", default: "" },
  { key: "auth-audience", kind: "string", default: "" },
  { key: "auth-tenant-claim", kind: "string", default: "tenant" },
  { key: "auth-roles-claim", kind: "string", default: "roles" },
  { key: "metrics-auth", kind: "bool", default: "false" },
  { key: "audit-retention-days", kind: "int", default: "90", min: 1, max: 3650 },
  { key: "audit-queue-max", kind: "int", default: "10000", min: 1, max: 1_000_000 },
  { key: "ui-dir", kind: "string", default: "" },
  { key: "otlp-endpoint", kind: "string", default: "" },
  { key: "trace-sample-percent", kind: "int", default: "100", min: 0, max: 100 },
];

/** A setting that did not validate; the message names it as the user wrote it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const envName = (key: string) => `CHRONORING_${key.toUpperCase().replaceAll("-", "_")}`;

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

export function readValues(
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

/** Every setting's environment variable, for checks of manifests and docs that name them. */
export function settingEnvNames(): string[] {
  return FIELDS.map((f) => envName(f.key));
}
