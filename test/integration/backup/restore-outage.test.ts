/**
 * A restore whose writes meet a throttled or failing store (faults injected
 * by SDK middleware into DynamoDB Local's client): throttled items are sent
 * again with backoff and the restore completes; a store that stays down ends
 * the restore with DynamoDB's Unavailable after its rounds, and running it
 * again, once the store is back, resumes and completes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { runBackup } from "../../../src/backup/backup.js";
import { runRestore } from "../../../src/backup/restore.js";
import { type ChronoringError, isChronoringError } from "../../../src/core/errors.js";
import { testConfig, testStores } from "../../support/app.js";
import { injectBatchWriteFaults } from "../../support/batch-write-faults.js";

const CALENDARS = 40;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "chronoring-restore-outage-"));
  const source = testConfig("restore-out-src");
  const stores = await testStores(source);
  await createAdapters(source).audit.init();
  const names = tableNames(source.store.tablePrefix);
  for (let i = 0; i < CALENDARS; i++) {
    await stores.client.send(
      new PutItemCommand({
        TableName: names.calendars,
        Item: { name: { S: `default/cal-${i}` }, body: { S: "x" } },
      }),
    );
  }
  await runBackup({
    client: stores.client,
    tables: names,
    dir,
    executionsSinceMs: 0,
    pageItems: 30,
  });
  stores.client.destroy();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function target(label: string) {
  const config = testConfig(label);
  const stores = await testStores(config);
  const tables = tableNames(config.store.tablePrefix);
  const restore = () =>
    runRestore({
      client: stores.client,
      tables,
      dir,
      partitions: config.store.partitions,
      createTables: async () => {
        await stores.jobs.init();
        await createAdapters(config).audit.init();
      },
      writes: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    });
  const calendars = async () =>
    (await stores.client.send(new ScanCommand({ TableName: tables.calendars }))).Items?.length;
  return { config, stores, restore, calendars };
}

describe("restore against a failing store", () => {
  it("sends throttled items again until every item is written", async () => {
    const t = await target("restore-thr");
    // Every other BatchWriteItem leaves its first 7 items unprocessed.
    const faults = injectBatchWriteFaults(t.stores.client, {
      unprocessed: (call) => (call % 2 === 1 ? 7 : 0),
    });
    const summary = await t.restore();
    expect(summary.items.calendars).toBe(CALENDARS);
    expect(await t.calendars()).toBe(CALENDARS);
    expect(faults.calls()).toBeGreaterThan(2);
    t.stores.client.destroy();
  });

  it("ends with DynamoDB's Unavailable when the store stays down, and resumes once it is back", async () => {
    const t = await target("restore-down");
    // Down after the first write (the jobs table's one page of one item).
    let down = true;
    const faults = injectBatchWriteFaults(t.stores.client, { down: (call) => down && call > 1 });
    const err = await t.restore().catch((e: unknown) => e);
    expect(isChronoringError(err, "unavailable"), String(err)).toBe(true);
    expect((err as ChronoringError).message).toBe("DynamoDB is unavailable, retry later");
    expect(String((err as ChronoringError).cause)).toMatch(/items left unwritten/);
    // Then the calendars' first page: its two requests (25 + 5 items) sent
    // in each of their 4 rounds, and no page after it.
    expect(faults.calls()).toBe(1 + 2 * 4);
    expect(await t.calendars()).toBe(0);

    down = false;
    const summary = await t.restore();
    expect(summary.resumed).toBe(true);
    expect(await t.calendars()).toBe(CALENDARS);
    t.stores.client.destroy();
  });
});
