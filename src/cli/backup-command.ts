/**
 * `chronoring backup --to DIR` and `chronoring restore --from DIR`: every
 * table of a deployment to a folder and back (src/backup/). They talk to
 * DynamoDB directly, with the deployment's own store settings
 * (CHRONORING_DYNAMODB_ENDPOINT, CHRONORING_TABLE_PREFIX, CHRONORING_PARTITIONS,
 * AWS credentials), not through the API: run them where those are at hand.
 */

import type { JsonValue } from "@bufbuild/protobuf";
import { Command, InvalidArgumentError, Option } from "commander";
import { parseTtl } from "../auth/mint.js";
import { type Config, loadConfig } from "../config/config.js";
import { emit, type OutputOptions } from "./output.js";

/**
 * The store side (the AWS SDK, the adapters: a third of the CLI's modules), loaded when a
 * backup or restore runs, not by every other command at start.
 */
async function store() {
  const [{ tableNames }, { createAdapters }, { runBackup }, { runRestore }] = await Promise.all([
    import("../adapters/dynamodb/client.js"),
    import("../adapters/from-config.js"),
    import("../backup/backup.js"),
    import("../backup/restore.js"),
  ]);
  return { tableNames, createAdapters, runBackup, runRestore };
}

const DAY_MS = 86_400_000;

const horizon = (value: string) => {
  const seconds = parseTtl(value);
  if (seconds === undefined) throw new InvalidArgumentError("a duration such as 12h, 30d");
  return seconds * 1000;
};

/**
 * The store settings from the environment. A backup runs no role; naming the
 * worker role keeps the api role's auth settings out of what must be set.
 */
function storeConfig(): Config {
  return loadConfig({ ...process.env, CHRONORING_ROLES: "worker" }, []);
}

const progress = (quiet: boolean | undefined) => (table: string, items: number) => {
  if (!quiet) process.stderr.write(`${table}: ${items} items\n`);
};

export function backupCommand(): Command {
  return new Command("backup")
    .description("copy every table (jobs, calendars, workflows, audit, executions) into a folder")
    .requiredOption("--to <dir>", "the backup folder (an unfinished backup there is resumed)")
    .option(
      "--executions-since <duration>",
      "executions scheduled this far back",
      horizon,
      30 * DAY_MS,
    )
    .addOption(new Option("--quiet", "no progress on stderr"))
    .action(async (_: unknown, command: Command) => {
      // --json is global (the program's); the others are this command's.
      const o = command.optsWithGlobals<
        { to: string; executionsSince: number; quiet?: boolean } & OutputOptions
      >();
      const config = storeConfig();
      const { tableNames, createAdapters, runBackup } = await store();
      const { dynamo } = createAdapters(config);
      const summary = await runBackup({
        client: dynamo,
        tables: tableNames(config.store.tablePrefix),
        dir: o.to,
        executionsSinceMs: Date.now() - o.executionsSince,
        onPage: progress(o.quiet),
      });
      const counts = Object.entries(summary.items).map(([t, n]) => `${t} ${n}`);
      emit(
        o,
        summary as unknown as JsonValue,
        () =>
          `backup ${summary.resumed ? "resumed and " : ""}finished in ${o.to}: ${counts.join(", ")}`,
      );
    });
}

export function restoreCommand(): Command {
  return new Command("restore")
    .description("load a finished backup into an empty table set (CHRONORING_TABLE_PREFIX)")
    .requiredOption("--from <dir>", "the backup folder")
    .addOption(new Option("--quiet", "no progress on stderr"))
    .action(async (_: unknown, command: Command) => {
      const o = command.optsWithGlobals<{ from: string; quiet?: boolean } & OutputOptions>();
      const config = storeConfig();
      const { tableNames, createAdapters, runRestore } = await store();
      const { dynamo, jobs, audit } = createAdapters(config);
      const summary = await runRestore({
        client: dynamo,
        tables: tableNames(config.store.tablePrefix),
        dir: o.from,
        partitions: config.store.partitions,
        createTables: async () => {
          await jobs.init();
          await audit.init();
        },
        onPage: progress(o.quiet),
      });
      const counts = Object.entries(summary.items).map(([t, n]) => `${t} ${n}`);
      emit(
        o,
        summary as unknown as JsonValue,
        () =>
          `restored ${o.from} into ${config.store.tablePrefix}*: ${counts.join(", ")}` +
          (summary.repartitioned
            ? ` (re-partitioned from ${summary.repartitioned.from} to ${summary.repartitioned.to} partitions)`
            : ""),
      );
    });
}
