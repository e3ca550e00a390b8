/**
 * Starts etcd, DynamoDB Local and the SQS emulator, prints their endpoints as one JSON line on
 * stdout, and keeps them up until SIGINT/SIGTERM.
 *
 *   npx tsx deploy/local/backends-cli.ts [--data-dir DIR] [--clean] [--warm] [--short-lived]
 *       [--etcd-port N] [--dynamo-port N] [--sqs-port N] [--only etcd,dynamodb,sqs]
 *
 * --short-lived: DynamoDB Local's JVM tuned for a test run of minutes (BackendOptions.shortLived).
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type BackendName, type BackendOptions, startBackends } from "./backends.js";

const usage =
  "usage: backends-cli.ts [--data-dir DIR] [--clean] [--warm] [--short-lived] [--etcd-port N] [--dynamo-port N] " +
  "[--sqs-port N] [--only etcd,dynamodb,sqs]";

function parse(): BackendOptions & { clean: boolean } {
  const { values } = parseArgs({
    options: {
      "data-dir": { type: "string" },
      clean: { type: "boolean", default: false },
      warm: { type: "boolean", default: false },
      "short-lived": { type: "boolean", default: false },
      "etcd-port": { type: "string" },
      "dynamo-port": { type: "string" },
      "sqs-port": { type: "string" },
      only: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const port = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65_535) fail(`--${flag} must be a port, got ${value}`);
    return n;
  };
  const only = values.only?.split(",").map((s) => s.trim()) as BackendName[] | undefined;
  for (const name of only ?? []) {
    if (!["etcd", "dynamodb", "sqs"].includes(name)) fail(`--only: unknown backend ${name}`);
  }
  if (values.clean && !values["data-dir"]) fail("--clean needs --data-dir");
  return {
    dataDir: values["data-dir"],
    clean: values.clean,
    warm: values.warm,
    shortLived: values["short-lived"],
    etcdPort: port("etcd-port", values["etcd-port"]),
    dynamoPort: port("dynamo-port", values["dynamo-port"]),
    sqsPort: port("sqs-port", values["sqs-port"]),
    only,
  };
}

function fail(message: string): never {
  console.error(`backends-cli: ${message}\n${usage}`);
  process.exit(2);
}

const options = parse();
if (options.clean && options.dataDir) {
  // Only what startBackends writes, so a mistyped --data-dir cannot wipe someone's folder.
  for (const sub of ["etcd", "dynamodb", "logs"]) {
    rmSync(join(resolve(options.dataDir), sub), { recursive: true, force: true });
  }
}
const log = (line: string) => console.error(`[backends] ${line}`);
const backends = await startBackends({ ...options, log }).catch((error: Error) => {
  console.error(`backends-cli: ${error.message}`);
  process.exit(1);
});
const { stop, ...endpoints } = backends;
console.log(JSON.stringify(endpoints));

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    void stop().then(() => process.exit(0));
  });
}
