/**
 * `chronoring restore`: loads a finished backup (manifest.ts) into an empty
 * table set: the target deployment's tables, created first with the
 * target's partition count. A backup taken with another count is
 * re-partitioned on the way: every job and execution item gets the `part`
 * of its job id under the target's count (`partitionOf`), and the stored
 * count becomes the target's. Every page is checked against its sha256 before
 * anything is written. Progress is kept beside the backup, per target
 * (`restore-<jobs table>.json`), so an interrupted restore resumes; items are
 * written whole, so a page written twice is the same page.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { type BatchWriteOptions, batchPut } from "../adapters/dynamodb/batch-write.js";
import { dynamo } from "../adapters/dynamodb/calls.js";
import { FENCE_ATTR } from "../adapters/dynamodb/claim-writes.js";
import type { TableNames } from "../adapters/dynamodb/client.js";
import { META_ID } from "../adapters/dynamodb/tables.js";
import { failedPrecondition, unavailable } from "../core/errors.js";
import { partitionOf } from "../core/partition.js";
import { BACKUP_TABLES } from "./backup.js";
import { type Key, readManifest, readPage } from "./manifest.js";

export interface RestoreOptions {
  client: DynamoDBClient;
  tables: TableNames;
  dir: string;
  /** The target's CHRONORING_PARTITIONS; items are re-partitioned when it differs from the backup's. */
  partitions: number;
  /** Creates the target's tables (the job store's init). */
  createTables: () => Promise<void>;
  onPage?: (table: string, items: number) => void;
  /** How pages are written (rounds, backoff); batchPut's defaults otherwise. */
  writes?: BatchWriteOptions;
}

export interface RestoreSummary {
  resumed: boolean;
  items: Record<string, number>;
  /** Set when the backup's partition count differs from the target's. */
  repartitioned?: { from: number; to: number };
}

interface Progress {
  done: string[];
}

export async function runRestore(options: RestoreOptions): Promise<RestoreSummary> {
  const { client, tables, dir } = options;
  const manifest = readManifest(dir);
  if (!manifest) throw failedPrecondition(`${dir}: no backup manifest`);
  if (manifest.finishedMs === undefined) {
    throw failedPrecondition(
      `${dir}: the backup did not finish; run chronoring backup --to ${dir} again to finish it`,
    );
  }
  const repartition = manifest.partitions !== options.partitions ? options.partitions : undefined;
  // Every page whole before anything is written.
  for (const role of BACKUP_TABLES) {
    for (const page of manifest.tables[role]?.pages ?? []) readPage(dir, page);
  }

  const progressFile = join(dir, `restore-${tables.jobs}.json`);
  const resumed = existsSync(progressFile);
  const progress: Progress = resumed
    ? (JSON.parse(readFileSync(progressFile, "utf8")) as Progress)
    : { done: [] };
  await options.createTables();
  if (!resumed) {
    for (const role of BACKUP_TABLES) await mustBeEmpty(client, tables[role]);
  }

  const items: Record<string, number> = {};
  for (const role of BACKUP_TABLES) {
    items[role] = 0;
    for (const page of manifest.tables[role]?.pages ?? []) {
      items[role] += page.items;
      if (progress.done.includes(page.file)) continue;
      const loaded = readPage(dir, page);
      await writeAll(
        client,
        tables[role],
        loaded.map((item) => {
          const restored = unfenced(role, item);
          return repartition === undefined ? restored : repartitioned(role, restored, repartition);
        }),
        options.writes,
      );
      progress.done.push(page.file);
      writeFileSync(progressFile, JSON.stringify(progress));
      options.onPage?.(role, page.items);
    }
  }
  return {
    resumed,
    items,
    ...(repartition === undefined
      ? {}
      : { repartitioned: { from: manifest.partitions, to: repartition } }),
  };
}

/**
 * A job item without its claim fence (the epoch of the owner that last
 * claimed on it): like the partitions table's fences, it belongs to the etcd
 * cluster that wrote it, and an epoch of the old cluster above the restored
 * deployment's would keep its owners from ever claiming the job.
 */
export function unfenced(role: string, item: Key): Key {
  if (role !== "jobs" || item[FENCE_ATTR] === undefined) return item;
  const { [FENCE_ATTR]: _, ...rest } = item;
  return rest;
}

/**
 * An item under another partition count. Jobs and executions carry their
 * job's partition (`part`); the jobs table's count item carries the count.
 * Idempotency records and every other table have no partition.
 */
export function repartitioned(role: string, item: Key, partitions: number): Key {
  if (role === "jobs" && item.id?.S === META_ID) {
    return { ...item, partitions: { N: String(partitions) } };
  }
  if (item.part === undefined) return item;
  const jobId = role === "jobs" ? item.id?.S : role === "executions" ? item.job_id?.S : undefined;
  if (jobId === undefined) return item;
  return { ...item, part: { N: String(partitionOf(jobId, partitions)) } };
}

async function mustBeEmpty(client: DynamoDBClient, table: string): Promise<void> {
  const out = await dynamo(() =>
    client.send(new ScanCommand({ TableName: table, Limit: 2, ConsistentRead: true })),
  );
  const found = (out.Items ?? []).filter((item) => item.id?.S !== META_ID);
  if (found.length > 0 || (out.LastEvaluatedKey && (out.Items ?? []).length === 0)) {
    throw failedPrecondition(
      `table ${table} is not empty: a restore loads into an empty table set (a new CHRONORING_TABLE_PREFIX)`,
    );
  }
}

/**
 * Writes a page's items with `batchPut`: throttled items and failed requests
 * are sent again with backoff for its rounds; what is still unwritten then
 * (the store stayed down, or kept throttling) stops the restore as
 * unavailable, and running it again resumes at this page.
 */
async function writeAll(
  client: DynamoDBClient,
  table: string,
  items: Key[],
  writes?: BatchWriteOptions,
): Promise<void> {
  const left = await batchPut(client, table, items, writes);
  if (left.length > 0) {
    throw unavailable(
      "DynamoDB",
      new Error(`table ${table}: ${left.length} of ${items.length} items left unwritten`),
    );
  }
}
