import type { FireCounts, FireStatsStore } from "../../core/ports/fire-stats-store.js";
import { copy, type MemoryDb } from "./memory-db.js";

/** Per-tenant, per-minute start counts in memory; adds are additive, as in DynamoDB. */
export function createMemoryFireStatsStore(db: MemoryDb): FireStatsStore {
  return {
    async init() {},
    async add({ tenant, minuteMs, counts }) {
      const key = `${tenant}/${minuteMs}`;
      const sum: FireCounts = db.fireStats.get(key) ?? {
        fires: 0,
        retries: 0,
        latenessSumMs: 0,
        buckets: [],
      };
      sum.fires += counts.fires;
      sum.retries += counts.retries;
      sum.latenessSumMs += counts.latenessSumMs;
      counts.buckets.forEach((n, i) => {
        sum.buckets[i] = (sum.buckets[i] ?? 0) + n;
      });
      db.fireStats.set(key, sum);
    },
    async read(tenant, fromMinuteMs, toMinuteMs) {
      const out = new Map<number, FireCounts>();
      for (const [key, counts] of db.fireStats) {
        const [t, minute] = [
          key.slice(0, key.lastIndexOf("/")),
          Number(key.slice(key.lastIndexOf("/") + 1)),
        ];
        if (t === tenant && minute >= fromMinuteMs && minute <= toMinuteMs)
          out.set(minute, copy(counts));
      }
      return new Map([...out].sort(([a], [b]) => a - b));
    },
  };
}
