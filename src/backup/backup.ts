/**
 * `chronoring backup`: copies every table of a deployment (the audit trail
 * too) into a folder
 * (manifest.ts), paged and resumable. Not the partitions table: its fences
 * belong to the etcd cluster that wrote them, and a restored deployment's
 * leader fences afresh.
 *
 * Consistency: DynamoDB scans are not a snapshot, so the order is chosen for
 * what a restore must never do, run again what finished. Jobs come first and
 * executions last: every run a job's copy has not yet moved past, if it ran
 * before its execution was copied, is in the backup, and the restored
 * workers skip it by its execution id (invariant 3). What finishes after
 * the backup ends is not in it.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DynamoDBClient, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { dynamo } from "../adapters/dynamodb/calls.js";
import type { TableNames } from "../adapters/dynamodb/client.js";
import { META_ID } from "../adapters/dynamodb/tables.js";
import { failedPrecondition } from "../core/errors.js";
import { FORMAT, type Manifest, readManifest, sha256, writeManifest } from "./manifest.js";

/** Tables in copy order; executions last (see above). */
export const BACKUP_TABLES = [
  "jobs",
  "tenants",
  "calendars",
  "workflows",
  "workflowRuns",
  "audit",
  "executions",
] as const satisfies readonly (keyof TableNames)[];

export interface BackupOptions {
  client: DynamoDBClient;
  tables: TableNames;
  dir: string;
  /** Executions scheduled before this are left out (a fresh backup only). */
  executionsSinceMs: number;
  /** Items per page (DynamoDB also stops a page at 1 MB). */
  pageItems?: number;
  now?: () => number;
  /** Told after each page. */
  onPage?: (table: string, items: number) => void;
}

export interface BackupSummary {
  dir: string;
  resumed: boolean;
  items: Record<string, number>;
}

/** The partition count stored in the jobs table's meta item. */
async function partitionCount(client: DynamoDBClient, jobs: string): Promise<number> {
  const out = await dynamo(() =>
    client.send(
      new GetItemCommand({
        TableName: jobs,
        Key: { id: { S: META_ID } },
        ConsistentRead: true,
      }),
    ),
  );
  const n = Number(out.Item?.partitions?.N);
  if (!Number.isInteger(n) || n <= 0) {
    throw failedPrecondition(`table ${jobs} has no partition count: not a Chronoring jobs table`);
  }
  return n;
}

export async function runBackup(options: BackupOptions): Promise<BackupSummary> {
  const { client, tables, dir } = options;
  const now = options.now ?? Date.now;
  mkdirSync(dir, { recursive: true });
  const found = readManifest(dir);
  if (found?.finishedMs !== undefined) {
    throw failedPrecondition(`${dir} holds a finished backup; back up into a new folder`);
  }
  const manifest: Manifest = found ?? {
    format: FORMAT,
    startedMs: now(),
    executionsSinceMs: options.executionsSinceMs,
    partitions: await partitionCount(client, tables.jobs),
    tables: Object.fromEntries(
      BACKUP_TABLES.map((role) => [role, { source: tables[role], pages: [], done: false }]),
    ),
  };
  writeManifest(dir, manifest);

  for (const role of BACKUP_TABLES) {
    const entry = manifest.tables[role]!;
    if (entry.source !== tables[role]) {
      throw failedPrecondition(
        `${dir} is a backup of ${entry.source}, not ${tables[role]}: resume it with the same CHRONORING_TABLE_PREFIX`,
      );
    }
    mkdirSync(join(dir, role), { recursive: true });
    while (!entry.done) {
      const page = await dynamo(() =>
        client.send(
          new ScanCommand({
            TableName: entry.source,
            ConsistentRead: true,
            Limit: options.pageItems ?? 1000,
            ...(entry.resumeKey && { ExclusiveStartKey: entry.resumeKey }),
            ...(role === "executions" && {
              FilterExpression: "sched_ms >= :since",
              ExpressionAttributeValues: { ":since": { N: String(manifest.executionsSinceMs) } },
            }),
          }),
        ),
      );
      const items = page.Items ?? [];
      const file = `${role}/${String(entry.pages.length + 1).padStart(6, "0")}.jsonl`;
      const text = items.map((item) => `${JSON.stringify(item)}\n`).join("");
      writeFileSync(join(dir, file), text);
      entry.pages.push({ file, items: items.length, sha256: sha256(text) });
      if (page.LastEvaluatedKey) entry.resumeKey = page.LastEvaluatedKey;
      else {
        delete entry.resumeKey;
        entry.done = true;
      }
      writeManifest(dir, manifest);
      options.onPage?.(role, items.length);
    }
  }
  manifest.finishedMs = now();
  writeManifest(dir, manifest);
  return {
    dir,
    resumed: found !== undefined,
    items: Object.fromEntries(
      BACKUP_TABLES.map((role) => [
        role,
        manifest.tables[role]!.pages.reduce((sum, p) => sum + p.items, 0),
      ]),
    ),
  };
}
