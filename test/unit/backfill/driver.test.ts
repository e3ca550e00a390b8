/**
 * The leader's backfill driver over the memory stores: all backfills
 * together keep to the workers' share (25 % of 8 slots: 2 runs out), each to
 * its own max_concurrent; unknown worker capacity leaves only the
 * in-flight cap; a lost etcd read keeps the last capacity known.
 */

import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  createBackfillMetrics,
  startBackfillDriver,
} from "../../../src/scheduler/backfill-driver.js";
import { backfillSetup, CALLER, MIN, START_TIMEOUT_MS, T0 } from "../../support/backfills.js";

const PAST = Array.from({ length: 20 }, (_, i) => (i === 19 ? "ok" : "none") as "ok" | "none");

async function driverSetup(capacity: () => Promise<number | undefined>) {
  const s = await backfillSetup(PAST);
  const driver = startBackfillDriver({
    ...s,
    logger: pino({ level: "silent" }),
    metrics: createBackfillMetrics(new Registry()),
    options: {
      intervalMs: 1000,
      startTimeoutMs: START_TIMEOUT_MS,
      maxInFlight: 5,
      workerShare: 25,
    },
    workerCapacity: capacity,
  });
  const start = (maxConcurrent: number) =>
    s.commands.start(CALLER, {
      jobId: s.job.id,
      fromMs: T0,
      toMs: T0 + PAST.length * MIN,
      mode: "MISSING",
      maxConcurrent,
      dryRun: false,
    });
  return { ...s, driver, start };
}

describe("the backfill driver", () => {
  it("keeps all backfills to the workers' share, and each to its max_concurrent", async () => {
    const s = await driverSetup(async () => 8);
    await s.start(1);
    await s.start(10);
    await s.driver.pass();
    const sent = await s.sentRuns();
    expect(sent).toHaveLength(2);
    // Both backfills select the same times: one of them sends each id first.
    expect(new Set(sent.map((d) => d.run.backfillId)).size).toBe(2);
    for (const d of sent) await s.work(d);
    await s.driver.pass();
    expect(await s.sentRuns()).toHaveLength(2);
    await s.driver.stop();
  });

  it("without a known capacity, only the in-flight cap bounds the runs out", async () => {
    let reads = 0;
    const s = await driverSetup(async () => {
      reads++;
      if (reads > 1) throw new Error("etcd is down");
      return undefined;
    });
    await s.start(10);
    await s.driver.pass();
    expect(await s.sentRuns()).toHaveLength(5);
    await s.driver.stop();
  });

  it("a capacity read that fails keeps the last one known", async () => {
    let reads = 0;
    const s = await driverSetup(async () => {
      reads++;
      if (reads > 1) throw new Error("etcd is down");
      return 4;
    });
    await s.start(10);
    await s.driver.pass();
    const first = await s.sentRuns();
    expect(first).toHaveLength(1);
    for (const d of first) await s.work(d);
    await s.driver.pass();
    expect(await s.sentRuns()).toHaveLength(1);
    await s.driver.stop();
  });
});
