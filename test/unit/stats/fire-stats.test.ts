/**
 * Fire stats without a store: lateness buckets and quantiles, the window of
 * minutes, and the worker's recorder, which writes one delta per tenant and
 * minute per flush however many runs started, and keeps what a failed flush
 * could not write.
 */

import pino from "pino";
import { describe, expect, it } from "vitest";
import {
  bucketOf,
  countStart,
  createFireStatsQueries,
  emptyCounts,
  fireStatsWindow,
  LATENESS_BOUNDS_MS,
  latenessQuantileMs,
  MINUTE_MS,
} from "../../../src/core/fire-stats.js";
import type {
  FireCounts,
  FireStatsDelta,
  FireStatsStore,
} from "../../../src/core/ports/fire-stats-store.js";
import { startFireStatsRecorder } from "../../../src/worker/fire-stats-recorder.js";
import { fakeClock } from "../../support/fake-clock.js";
import { makeRun } from "../../support/jobs.js";

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

/** A store in memory that adds as the DynamoDB one does, and can be told to fail. */
function memoryStore(): FireStatsStore & { adds: FireStatsDelta[]; failing: boolean } {
  const items = new Map<string, FireCounts>();
  const store = {
    adds: [] as FireStatsDelta[],
    failing: false,
    async init() {},
    async add(delta: FireStatsDelta) {
      if (store.failing) throw new Error("store down");
      store.adds.push(structuredClone(delta));
      const key = `${delta.tenant}@${delta.minuteMs}`;
      const item = items.get(key) ?? emptyCounts();
      item.fires += delta.counts.fires;
      item.retries += delta.counts.retries;
      item.latenessSumMs += delta.counts.latenessSumMs;
      delta.counts.buckets.forEach((n, i) => {
        item.buckets[i]! += n;
      });
      items.set(key, item);
    },
    async read(tenant: string, from: number, to: number) {
      const out = new Map<number, FireCounts>();
      for (const [key, counts] of items) {
        const [t, minute] = key.split("@");
        if (t === tenant && Number(minute) >= from && Number(minute) <= to)
          out.set(Number(minute), counts);
      }
      return out;
    },
  };
  return store;
}

describe("lateness buckets", () => {
  it("puts a lateness in the first bucket whose bound holds it, the rest in the last", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(10)).toBe(0);
    expect(bucketOf(11)).toBe(1);
    expect(bucketOf(999)).toBe(LATENESS_BOUNDS_MS.indexOf(1000));
    expect(bucketOf(60_000)).toBe(LATENESS_BOUNDS_MS.length - 1);
    expect(bucketOf(61_000)).toBe(LATENESS_BOUNDS_MS.length);
  });

  it("counts a first attempt's lateness, a retry only as a retry, an early start as 0", () => {
    const counts = emptyCounts();
    countStart(counts, 1, 30);
    countStart(counts, 1, -5);
    countStart(counts, 2, 90_000);
    expect(counts).toMatchObject({ fires: 2, retries: 1, latenessSumMs: 30 });
    expect(counts.buckets[bucketOf(30)]).toBe(1);
    expect(counts.buckets[0]).toBe(1);
    expect(counts.buckets.at(-1)).toBe(0);
  });

  it("reads quantiles as the bound of the bucket that holds them", () => {
    const counts = emptyCounts();
    for (let i = 0; i < 98; i++) countStart(counts, 1, 20);
    countStart(counts, 1, 400);
    countStart(counts, 1, 120_000);
    expect(latenessQuantileMs(counts.buckets, 0.5)).toBe(25);
    expect(latenessQuantileMs(counts.buckets, 0.99)).toBe(500);
    expect(latenessQuantileMs(counts.buckets, 1)).toBe(60_000);
    expect(latenessQuantileMs(emptyCounts().buckets, 0.5)).toBe(0);
  });
});

describe("the window of minutes", () => {
  it("has every minute up to the current one, oldest first, zero-filled, and their sum", () => {
    const a = emptyCounts();
    countStart(a, 1, 5);
    const window = fireStatsWindow(new Map([[T0 - MINUTE_MS, a]]), T0 + 30_000, 3);
    expect(window.minutes.map((m) => m.startMs)).toEqual([T0 - 2 * MINUTE_MS, T0 - MINUTE_MS, T0]);
    expect(window.minutes.map((m) => m.counts.fires)).toEqual([0, 1, 0]);
    expect(window.total.fires).toBe(1);
  });

  it("refuses more than a day: InvalidArgument naming minutes", async () => {
    const queries = createFireStatsQueries({ store: memoryStore(), clock: fakeClock(T0) });
    await expect(queries.recent("default", 1441)).rejects.toMatchObject({
      kind: "invalid_argument",
      field: "minutes",
    });
    expect((await queries.recent("default", 0)).minutes).toHaveLength(60);
  });
});

describe("the worker's recorder", () => {
  const logger = pino({ level: "silent" });

  it("writes one delta per tenant and minute per flush, whatever the number of starts", async () => {
    const store = memoryStore();
    const clock = fakeClock(T0 + 10_000);
    const recorder = startFireStatsRecorder({ store, clock, logger, flushMs: 60_000 });
    for (let i = 0; i < 1000; i++) recorder.started(makeRun("acme", T0 + i), T0 + i + 40);
    recorder.started(makeRun("acme", T0 - 5000), T0 + MINUTE_MS + 1);
    recorder.started(makeRun("other", T0), T0 + 3);
    recorder.started(makeRun("acme", T0, 2), T0 + 9000);
    await recorder.flush();
    expect(store.adds).toHaveLength(3);
    const acme = store.adds.find((d) => d.tenant === "acme" && d.minuteMs === T0)!;
    expect(acme.counts).toMatchObject({ fires: 1000, retries: 1, latenessSumMs: 40_000 });
    await recorder.flush();
    expect(store.adds).toHaveLength(3);
    const queries = createFireStatsQueries({ store, clock: fakeClock(T0 + MINUTE_MS) });
    const window = await queries.recent("acme", 2);
    expect(window.minutes.map((m) => m.counts.fires)).toEqual([1000, 1]);
    expect((await queries.recent("other", 2)).total.fires).toBe(1);
    await recorder.stop();
  });

  it("keeps what a failed flush could not write, and writes it with the next", async () => {
    const store = memoryStore();
    const recorder = startFireStatsRecorder({
      store,
      clock: fakeClock(T0),
      logger,
      flushMs: 60_000,
    });
    recorder.started(makeRun("acme", T0), T0 + 20);
    store.failing = true;
    await recorder.flush();
    recorder.started(makeRun("acme", T0), T0 + 30);
    store.failing = false;
    await recorder.stop();
    expect(store.adds).toHaveLength(1);
    expect(store.adds[0]!.counts).toMatchObject({ fires: 2, latenessSumMs: 50 });
  });
});
