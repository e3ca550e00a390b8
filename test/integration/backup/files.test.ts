/**
 * Backup folders against real DynamoDB Local: paged and resumable after an
 * interruption, executions cut at the horizon, a restore into another
 * partition count, and every refusal of `restore` (unfinished backup, a page
 * that fails its checksum, a target that is not empty) made before it writes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { META_ID } from "../../../src/adapters/dynamodb/tables.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { runBackup } from "../../../src/backup/backup.js";
import { readManifest } from "../../../src/backup/manifest.js";
import { runRestore } from "../../../src/backup/restore.js";
import type { Config } from "../../../src/config/config.js";
import { isChronoringError } from "../../../src/core/errors.js";
import { partitionOf } from "../../../src/core/partition.js";
import { testConfig, testStores } from "../../support/app.js";
import { cli } from "../../support/cli.js";
import { storeEnv } from "../../support/cli-process.js";

const NOW = 1_800_000_000_000;
const HORIZON_MS = 3_600_000;
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), "chronoring-backup-files-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let source: Config;
let stores: Awaited<ReturnType<typeof testStores>>;

beforeAll(async () => {
  source = testConfig("backup-src");
  stores = await testStores(source);
  await createAdapters(source).audit.init();
  const names = tableNames(source.store.tablePrefix);
  for (let i = 0; i < 7; i++) {
    await stores.client.send(
      new PutItemCommand({
        TableName: names.calendars,
        Item: { name: { S: `default/cal-${i}` }, body: { S: "x" } },
      }),
    );
  }
  for (let i = 0; i < 5; i++) {
    await stores.client.send(
      new PutItemCommand({
        TableName: names.jobs,
        Item: {
          id: { S: `job-${i}` },
          tenant: { S: "default" },
          part: { N: String(partitionOf(`job-${i}`, source.store.partitions)) },
          next_run: { N: String(NOW + i) },
        },
      }),
    );
  }
  // Executions: two inside the horizon, one before it.
  for (const [run, sched] of [
    ["a", NOW - 1000],
    ["b", NOW - HORIZON_MS + 1000],
    ["c", NOW - HORIZON_MS - 1000],
  ] as const) {
    await stores.client.send(
      new PutItemCommand({
        TableName: names.executions,
        Item: {
          job_id: { S: "job-1" },
          run: { S: run },
          sched_ms: { N: String(sched) },
          part: { N: String(partitionOf("job-1", source.store.partitions)) },
        },
      }),
    );
  }
});

const backup = (dir: string, extra: Partial<Parameters<typeof runBackup>[0]> = {}) =>
  runBackup({
    client: stores.client,
    tables: tableNames(source.store.tablePrefix),
    dir,
    executionsSinceMs: NOW - HORIZON_MS,
    pageItems: 2,
    now: () => NOW,
    ...extra,
  });

async function restoreInto(dir: string, label: string, partitions?: number) {
  const target = testConfig(label);
  const targetStores = await testStores(target);
  const run = () =>
    runRestore({
      client: targetStores.client,
      tables: tableNames(target.store.tablePrefix),
      dir,
      partitions: partitions ?? target.store.partitions,
      createTables: async () => {
        await targetStores.jobs.init();
        await createAdapters(target).audit.init();
      },
    });
  const count = async (table: keyof ReturnType<typeof tableNames>) =>
    (
      await targetStores.client.send(
        new ScanCommand({ TableName: tableNames(target.store.tablePrefix)[table] }),
      )
    ).Items?.length ?? 0;
  return { target, targetStores, run, count };
}

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isChronoringError(err, "failed_precondition"), String(err)).toBe(true);
  return (err as Error).message;
};

describe("backup folders", () => {
  it("resume after an interruption, and restore what a single run would have copied", async () => {
    const dir = newDir();
    let pages = 0;
    await expect(
      backup(dir, {
        onPage: () => {
          if (++pages === 3) throw new Error("interrupted");
        },
      }),
    ).rejects.toThrow("interrupted");
    expect(readManifest(dir)?.finishedMs).toBeUndefined();
    const partial = await restoreInto(dir, "backup-partial");
    expect(await refusal(partial.run())).toContain("did not finish");

    const resumed = await backup(dir);
    expect(resumed.resumed).toBe(true);
    expect(resumed.items.calendars).toBe(7);
    expect(resumed.items.executions).toBe(2); // the one before the horizon is left out
    const manifest = readManifest(dir)!;
    expect(manifest.tables.calendars!.pages.length).toBeGreaterThanOrEqual(4);
    await expect(backup(dir)).rejects.toThrow("finished backup");

    const { run, count } = await restoreInto(dir, "backup-restored");
    const restored = await run();
    expect(restored.items).toEqual(resumed.items);
    expect(await count("calendars")).toBe(7);
    expect(await count("executions")).toBe(2);
  });

  it("restore into another partition count re-partitions every job and execution", async () => {
    const dir = newDir();
    await backup(dir);
    const manifest = readManifest(dir)!;
    const to = manifest.partitions * 2 + 1;
    const other = await restoreInto(dir, "backup-partitions", to);
    const summary = await other.run();
    expect(summary.repartitioned).toEqual({ from: manifest.partitions, to });
    const names = tableNames(other.target.store.tablePrefix);
    const scan = async (table: string) =>
      (await other.targetStores.client.send(new ScanCommand({ TableName: table }))).Items ?? [];
    const jobs = await scan(names.jobs);
    expect(jobs.find((i) => i.id?.S === META_ID)?.partitions?.N).toBe(String(to));
    const withPart = jobs.filter((i) => i.part);
    expect(withPart.length).toBeGreaterThan(0);
    for (const item of withPart) {
      expect(item.part?.N, item.id?.S).toBe(String(partitionOf(item.id!.S!, to)));
    }
    const executions = await scan(names.executions);
    expect(executions).toHaveLength(2);
    for (const item of executions) {
      expect(item.part?.N).toBe(String(partitionOf("job-1", to)));
    }
  });

  it("restore refuses a page that fails its checksum and a target with data", async () => {
    const dir = newDir();
    await backup(dir);
    const manifest = readManifest(dir)!;

    const page = manifest.tables.calendars!.pages[0]!;
    const path = join(dir, page.file);
    const original = readFileSync(path, "utf8");
    writeFileSync(path, original.replace("cal-", "cat-"));
    const corrupt = await restoreInto(dir, "backup-corrupt");
    expect(await refusal(corrupt.run())).toContain(`${page.file}: checksum`);
    writeFileSync(path, original);

    const busy = await restoreInto(dir, "backup-busy");
    await busy.targetStores.client.send(
      new PutItemCommand({
        TableName: tableNames(busy.target.store.tablePrefix).calendars,
        Item: { name: { S: "default/mine" } },
      }),
    );
    expect(await refusal(busy.run())).toContain("is not empty");
    expect(await busy.count("executions")).toBe(0);
  });

  it("the command line names a bad flag and a missing folder", async () => {
    const env = storeEnv(source);
    const badFlag = await cli(["backup", "--to", newDir(), "--executions-since", "5x"], { env });
    expect(badFlag.code).not.toBe(0);
    expect(badFlag.stderr).toContain("--executions-since");
    const missing = await cli(["restore", "--from", join(newDir(), "nothing")], { env });
    expect(missing.code).toBe(6); // failed precondition: docs/cli.md
    expect(missing.stderr).toContain("no backup manifest");
  });
});
