import { describe, expect, it } from "vitest";
import { netnsUnavailable } from "../../deploy/local/netns/hosts.js";
import { partitionScenarios } from "../../loadtest/partitions.js";
import { testBackends } from "../support/backends.js";

const why = await netnsUnavailable();
if (why) console.warn(`[partitions] skipped: ${why}`);

// The short version of `npm run bench -- partitions`: two of the six faults, few jobs.
const JOBS = Number(process.env.CHRONORING_PARTITION_JOBS ?? 5);

describe.skipIf(why !== undefined)("network partitions on test hosts (3-member etcd)", () => {
  it(`fires ${JOBS} every-second schedules exactly once while the scheduler leader is cut off from etcd, then the etcd leader from the other members`, async () => {
    const rows = await partitionScenarios(testBackends(), {
      jobs: JOBS,
      scenarios: ["etcd-cut", "etcd-leader-minority"],
      slotS: 20,
      faultS: 8,
      partitions: 16,
      callMs: 300,
      log: (line) => console.log(`[partitions] ${line}`),
    });
    console.log(`[partitions] ${JSON.stringify(rows)}`);
    for (const row of rows) {
      const what = `${row.scenario}: e.g. ${row.missed_examples.join(", ")}`;
      expect(row.missed, what).toBe(0);
      expect(row.duplicates, row.scenario).toBe(0);
      expect(row.duplicate_side_effects, row.scenario).toBe(0);
    }
    // The scheduler cut off from etcd gave its partitions up (to the others) during the cut.
    expect(rows[0]!.victim_released_ms).not.toBeNull();
  }, 240_000);
});
