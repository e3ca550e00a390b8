import { describe, expect, it } from "vitest";
import { scaleBench } from "../../loadtest/scale.js";
import { testBackends } from "../support/backends.js";

// The short version of `npm run bench -- scale`: the same code at 10,000
// schedules and 1,000, a fixed rate instead of half the store's ceiling, and
// backstops short enough that the idle window (their least common multiple,
// so each partition's polls and sweeps count whole) fits in seconds. It
// asserts counts, never timings: the machine is shared. Both counts run at
// once, each on its own stack, to keep the test short.
const SCHEDULES = 10_000;
const COMPARE = 1_000;
const log = (line: string) => console.log(`[scale] ${line}`);

describe("bench scale, short", () => {
  it(`fires a ${SCHEDULES}-schedule mix imported through ImportJobs exactly once, and the idle scheduler's store calls do not grow with the count`, async () => {
    const report = await scaleBench(testBackends(), {
      schedules: SCHEDULES,
      compare: COMPARE,
      fireS: 10,
      // Every run is checked from the first; no rate is measured.
      rampS: 0,
      ratePerS: 20,
      parallel: true,
      // A 60 s window's group needs a fire window over a top of the hour: not in a short test.
      smoothing: false,
      settings: {
        // Both backstops within the idle window, several times over.
        CHRONORING_POLL_BACKSTOP_MS: "5000",
        CHRONORING_SWEEP_BACKSTOP_MS: "10000",
      },
      log,
    });
    log(JSON.stringify(report));
    for (const r of [report.main, report.baseline!]) {
      // A busy store may refuse some (unavailable): the runs are those of the jobs stored.
      expect(r.import.created + r.import.refused).toBe(r.schedules);
      expect(r.import.jobs_stored).toBeGreaterThanOrEqual(r.import.created);
      expect(r.fire.runs_expected).toBeGreaterThan(0);
      expect(r.fire.missed, `missed, e.g. ${r.fire.missed_examples.join(", ")}`).toBe(0);
      expect(r.fire.duplicates).toBe(0);
      expect(r.fire.duplicate_side_effects).toBe(0);
      expect(r.fire.unexpected_runs).toBe(0);
      // Nothing is due in the idle window: the scheduler writes nothing.
      expect(r.idle.scheduler_store.write_units_per_s).toBe(0);
      expect(r.idle.scheduler_store.queries_per_s).toBeGreaterThan(0);
    }
    // Counts of calls over the same whole number of backstops: flat in the count.
    expect(report.ratios.idle_scheduler_queries_per_s).toBeLessThanOrEqual(1.2);
    expect(report.ratios.idle_scheduler_read_units_per_s).toBeLessThanOrEqual(1.2);
  }, 300_000);
});
