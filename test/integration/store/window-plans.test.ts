/**
 * The planned starts of runs with a flexible window on a jobs table created
 * before flexible windows, against DynamoDB Local: its recover index does
 * not project `wplan` (a projection cannot change in place), so the sweep's
 * read of pending runs reads the plans from the items, and still finds them.
 */

import { describe, expect, it } from "vitest";
import {
  indexProjection,
  PLAN_ATTR,
  RECOVER_INDEX,
} from "../../../src/adapters/dynamodb/tables.js";
import { testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";
import { configWithOldIndex } from "../../support/old-index.js";

describe("flexible window plans on an older table", () => {
  it("reads the plans from the items when the recover index does not project them", async () => {
    const { config, table } = await configWithOldIndex("plans", RECOVER_INDEX, PLAN_ATTR);
    const stores = await testStores(config);
    expect((await indexProjection(stores.client, table, RECOVER_INDEX))(PLAN_ATTR)).toBe(false);
    const schedule = {
      kind: "interval" as const,
      source: "1m",
      periodMs: 60_000,
      anchorMs: 0,
      flexibleWindowMs: 30_000,
    };
    const windowed = makeJob(config.store.partitions, { schedule, nextRunMs: 60_000 });
    const plain = makeJob(config.store.partitions, {
      schedule: { ...schedule, flexibleWindowMs: undefined },
      nextRunMs: 60_000,
      partition: windowed.partition,
    });
    await stores.jobs.createJob(windowed);
    await stores.jobs.createJob(plain);
    const due = await stores.jobs.dueJobs(windowed.partition, 60_000, 10);
    const of = (id: string) => due.find((d) => d.id === id)!;
    expect(
      await stores.jobs.claimRuns([
        { job: of(windowed.id), nextRunMs: 120_000, recoverAtMs: 100_000, plannedMs: 70_000 },
        { job: of(plain.id), nextRunMs: 120_000, recoverAtMs: 100_000 },
      ]),
    ).toEqual([true, true]);
    const { items } = await stores.jobs.pendingRuns(windowed.partition, 0, 100_000, 10);
    expect(items.find((p) => p.jobId === windowed.id)?.plans).toEqual([
      { scheduledMs: 60_000, plannedMs: 70_000 },
    ]);
    expect(items.find((p) => p.jobId === plain.id)?.plans).toBeUndefined();
  });
});
