/**
 * Runs the `chronoring` command line as its own process (tsx), with a test
 * config's store settings in its environment, for tests of commands that
 * talk to the backends directly (backup, restore).
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import type { Config } from "../../src/config/config.js";

const ROOT = resolve(import.meta.dirname, "../..");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CHRONORING_* store settings of `config`, as a process's environment. */
export function storeEnv(config: Config): Record<string, string> {
  return {
    CHRONORING_DYNAMODB_ENDPOINT: config.aws.dynamodbEndpoint,
    CHRONORING_SQS_ENDPOINT: config.aws.sqsEndpoint,
    CHRONORING_AWS_REGION: config.aws.region,
    CHRONORING_TABLE_PREFIX: config.store.tablePrefix,
    CHRONORING_QUEUE_PREFIX: config.queue.prefix,
    CHRONORING_PARTITIONS: String(config.store.partitions),
    CHRONORING_LOG_LEVEL: "silent",
  };
}

export function runCli(args: string[], env: Record<string, string>): CliResult {
  const out = spawnSync(
    process.execPath,
    ["--import", "tsx", resolve(ROOT, "src/cli/main.ts"), ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 },
  );
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}
