/**
 * The tenant below the API, against DynamoDB Local: the due index carries
 * each due job's tenant (so the scheduler knows it without reading the job),
 * an older index that does not project it is made up for with one batch read
 * per page, items written before tenancy read as `default`'s, and the claimer
 * resolves a job's calendar in the job's own tenant.
 */

import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { jobToItem } from "../../../src/adapters/dynamodb/job-item.js";
import { DUE_INDEX, dueIndexProjection } from "../../../src/adapters/dynamodb/tables.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { systemClock } from "../../../src/core/clock.js";
import type { Job } from "../../../src/core/job.js";
import type { Calendar } from "../../../src/core/time-policy.js";
import { createCalendarCache } from "../../../src/scheduler/calendar-cache.js";
import { createClaimer } from "../../../src/scheduler/claimer.js";
import { createDispatcher } from "../../../src/scheduler/dispatcher.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";
import { configWithOldIndex } from "../../support/old-index.js";

const PARTITIONS = 8;

/** A job item as a version before tenancy wrote it: no tenant attribute. */
function legacyItem(job: Job) {
  const { tenant: _, ...item } = jobToItem(job);
  return item;
}

async function dueTenants(
  stores: Awaited<ReturnType<typeof testStores>>,
  jobs: Job[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const partition of new Set(jobs.map((j) => j.partition))) {
    for (const due of await stores.jobs.dueJobs(partition, Date.now() + 3_600_000, 100)) {
      found.set(due.id, due.tenant);
    }
  }
  return found;
}

describe("tenants in the store", () => {
  it("the due index carries each job's tenant; a job written before tenancy is default's", async () => {
    const config = testConfig("tenant-due");
    const stores = await testStores(config);
    const table = tableNames(config.store.tablePrefix).jobs;
    expect((await dueIndexProjection(stores.client, table))("tenant")).toBe(true);
    const acme = makeJob(PARTITIONS, { tenant: "acme" });
    const legacy = makeJob(PARTITIONS);
    await stores.jobs.createJob(acme);
    await stores.client.send(new PutItemCommand({ TableName: table, Item: legacyItem(legacy) }));
    const tenants = await dueTenants(stores, [acme, legacy]);
    expect(tenants.get(acme.id)).toBe("acme");
    expect(tenants.get(legacy.id)).toBe(DEFAULT_TENANT);
    // The legacy job is default's, and nobody else's.
    expect((await stores.jobs.getJob(DEFAULT_TENANT, legacy.id))?.tenant).toBe(DEFAULT_TENANT);
    expect(await stores.jobs.getJob("acme", legacy.id)).toBeUndefined();
    expect(await stores.jobs.getJob(DEFAULT_TENANT, acme.id)).toBeUndefined();
  });

  it("a due index from before tenancy: the tenants are read with the page", async () => {
    // The current table's shape, its due index without `tenant`, under a prefix of its own.
    const { config, table } = await configWithOldIndex("tenant", DUE_INDEX, "tenant");
    const stores = await testStores(config);
    expect((await dueIndexProjection(stores.client, table))("tenant")).toBe(false);
    const acme = makeJob(PARTITIONS, { tenant: "acme" });
    const bob = makeJob(PARTITIONS, { tenant: "bob" });
    const legacy = makeJob(PARTITIONS);
    await stores.jobs.createJob(acme);
    await stores.jobs.createJob(bob);
    await stores.client.send(new PutItemCommand({ TableName: table, Item: legacyItem(legacy) }));
    const tenants = await dueTenants(stores, [acme, bob, legacy]);
    expect([acme, bob, legacy].map((j) => tenants.get(j.id))).toEqual([
      "acme",
      "bob",
      DEFAULT_TENANT,
    ]);
  });

  it("the claimer resolves a job's calendar in the job's tenant", async () => {
    const config = testConfig("tenant-calendar");
    const stores = await testStores(config);
    const { calendars, dynamo } = createAdapters(config);
    // Daily at noon UTC; A's "days" excludes the next two noons, B's excludes none.
    const day = 86_400_000;
    const todayNoon = Math.floor(Date.now() / day) * day + day / 2;
    const nextNoon = todayNoon > Date.now() ? todayNoon : todayNoon + day;
    const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const calendar = (excludedDates: string[]): Calendar => ({
      name: "days",
      description: "",
      excludedDates,
      excludedWeekdays: [],
      version: 1,
      createdMs: 0,
      updatedMs: 0,
    });
    await calendars.createCalendar("acme", calendar([date(nextNoon), date(nextNoon + day)]));
    await calendars.createCalendar("bob", calendar([]));
    const schedule = {
      kind: "cron" as const,
      source: "0 12 * * *",
      timeZone: "UTC",
      calendar: { name: "days", mode: "SKIP" as const },
    };
    const due = Date.now() - 1000;
    const a = makeJob(PARTITIONS, { tenant: "acme", schedule, nextRunMs: due });
    const b = makeJob(PARTITIONS, { tenant: "bob", schedule, nextRunMs: due });
    await stores.jobs.createJob(a);
    await stores.jobs.createJob(b);

    const metrics = createSchedulerMetrics(new Registry());
    const dispatcher = createDispatcher({
      queue: stores.queue,
      clock: systemClock,
      metrics,
      logger: silentLogger,
    });
    const claimer = createClaimer({
      store: stores.jobs,
      dispatcher,
      clock: systemClock,
      metrics,
      logger: silentLogger,
      options: { lookaheadMs: 1000, pollIntervalMs: 1000, batchSize: 100, startTimeoutMs: 5000 },
      calendars: createCalendarCache({
        store: calendars,
        clock: systemClock,
        ttlMs: 60_000,
        logger: silentLogger,
      }),
    });
    for (const p of new Set([a.partition, b.partition])) await claimer.pass(p);
    await dispatcher.close();
    dynamo.destroy();
    expect((await stores.jobs.getJob("bob", b.id))?.nextRunMs).toBe(nextNoon);
    expect((await stores.jobs.getJob("acme", a.id))?.nextRunMs).toBe(nextNoon + 2 * day);
    // Both runs went out, each carrying its job's tenant.
    const runs = await stores.queue.receive(10, 2000);
    expect(new Map(runs.map((d) => [d.run.jobId, d.run.tenant]))).toEqual(
      new Map([
        [a.id, "acme"],
        [b.id, "bob"],
      ]),
    );
  });
});
