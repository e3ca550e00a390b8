/**
 * Catch-up after a stopped scheduler follows each misfire policy exactly,
 * against DynamoDB Local and the SQS emulator: jobs are created through the
 * API while no scheduler runs, the clock moves 10.5 minutes on, then a
 * scheduler and a worker start and the stored executions and missed counts
 * are read back per policy, and the fire ledger (ListFires) of each job.
 */

import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FireOutcome } from "../../../gen/chronoring/v1/fire_pb.js";
import { MisfireMode } from "../../../gen/chronoring/v1/schedule_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { type Clock, clockWithNow } from "../../../src/core/clock.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const MIN = 60_000;
const noop = { kind: { case: "noop" as const, value: {} } };

/** Real time plus an offset the test moves: timers keep working, "now" jumps. */
function shiftedClock(): Clock & { shift(ms: number): void } {
  let offset = 0;
  return {
    ...clockWithNow(() => Date.now() + offset),
    shift(ms) {
      offset += ms;
    },
  };
}

describe("misfire catch-up after the scheduler was down", () => {
  const clock = shiftedClock();
  let api: App;
  let scheduler: App | undefined;
  let client: ReturnType<typeof jobClient>;
  /** The first run of every job, set once the API is up (creating tables takes seconds). */
  let t0 = 0;
  const ids: Record<string, string> = {};

  const policies = {
    skip: { mode: MisfireMode.SKIP },
    once: { mode: MisfireMode.FIRE_ONCE },
    allCapped: { mode: MisfireMode.FIRE_ALL, maxCatchUp: 3 },
    allWindow: { mode: MisfireMode.FIRE_ALL, maxCatchUp: 100, window: durationFromMs(4 * MIN) },
    unset: undefined,
  } as const;

  beforeAll(async () => {
    // One config (tables, queue); the API process runs alone first.
    const settings = { ETCD_ENDPOINTS: "" };
    const config = testConfig("catchup", { ...settings, ROLES: "api" });
    api = await startApp(config, { logger: silentLogger, clock });
    client = jobClient(api.apiUrl!);
    t0 = Math.ceil(Date.now() / 1000) * 1000 + 5000;
    for (const [name, misfire] of Object.entries(policies)) {
      const { job } = await client.createJob({
        name,
        owner: "catch-up",
        schedule: {
          kind: { case: "interval", value: "1m" },
          startTime: timestampFromMs(t0),
          ...(misfire && { misfire }),
        },
        target: noop,
      });
      ids[name] = job!.id;
    }
    // The scheduler was down from t0 to t0 + 10.5 min: runs t0 … t0+10m are due (11).
    clock.shift(t0 + 10.5 * MIN - Date.now());
    scheduler = await startApp(
      { ...config, roles: ["scheduler", "worker"] },
      { logger: silentLogger, clock },
    );
  }, 60_000);
  afterAll(async () => {
    await scheduler?.close();
    await api?.close();
  });

  async function settled(name: string, runs: number) {
    const jobId = ids[name]!;
    return waitFor(`${name}: ${runs} runs and the next run moved`, async () => {
      const { job } = await client.getJob({ id: jobId });
      if (job?.nextRunTime === undefined || timestampMs(job.nextRunTime) <= t0 + 10 * MIN) {
        return undefined;
      }
      const { executions } = await client.listExecutions({ jobId, pageSize: 100 });
      return executions.length >= runs ? { job, executions } : undefined;
    });
  }

  const scheduled = (executions: Array<{ scheduledTime?: { seconds: bigint; nanos: number } }>) =>
    executions.map((e) => (timestampMs(e.scheduledTime as never) - t0) / MIN).sort((a, b) => a - b);

  it.each<[keyof typeof policies, number[], number]>([
    ["skip", [], 11],
    ["once", [10], 10],
    ["allCapped", [8, 9, 10], 8],
    ["allWindow", [7, 8, 9, 10], 7],
    ["unset", [10], 10],
  ])("%s: fires the runs at minutes %j and counts %i missed", async (name, minutes, missed) => {
    const { job, executions } = await settled(name, minutes.length);
    expect(timestampMs(job.nextRunTime!)).toBe(t0 + 11 * MIN);
    expect(job.missedRuns).toBe(BigInt(missed));
    expect(scheduled(executions)).toEqual(minutes);
  });

  it.each<[keyof typeof policies, string]>([
    ["skip", "MMMMMMMMMMM"],
    ["once", "mmmmmmmmmmS"],
    ["allCapped", "MMMMMMMMSSS"],
    ["allWindow", "MMMMMMMSSSS"],
    ["unset", "mmmmmmmmmmS"],
  ])(
    "%s: the fire ledger tells the missed, merged and started times apart (%s)",
    async (name, expected) => {
      await settled(name, expected.split("S").length - 1);
      const letter: Record<number, string> = {
        [FireOutcome.MISSED]: "M",
        [FireOutcome.MERGED]: "m",
        [FireOutcome.STARTED]: "S",
      };
      const out = await client.listFires({
        jobId: ids[name]!,
        from: timestampFromMs(t0),
        to: timestampFromMs(t0 + 10.5 * MIN),
      });
      expect(out.fires.map((f) => letter[f.outcome] ?? FireOutcome[f.outcome]).join("")).toBe(
        expected,
      );
      const catchUp = out.fires.at(-1)!;
      for (const f of out.fires) {
        if (f.outcome === FireOutcome.MERGED) expect(f.executionId).toBe(catchUp.executionId);
        if (f.outcome !== FireOutcome.STARTED) {
          expect(f.misfire?.mode).toBe(policies[name]?.mode ?? MisfireMode.FIRE_ONCE);
        }
      }
    },
  );

  it("fires nothing more and counts every dropped run in the metric, by policy", async () => {
    await new Promise((r) => setTimeout(r, 1000));
    for (const [name, count] of [
      ["skip", 0],
      ["allCapped", 3],
    ] as const) {
      const { executions } = await client.listExecutions({ jobId: ids[name]!, pageSize: 100 });
      expect(executions).toHaveLength(count);
    }
    const metric = await scheduler!.registry.getSingleMetricAsString(
      "chronoring_runs_missed_total",
    );
    expect(metric).toContain('chronoring_runs_missed_total{policy="SKIP"} 11');
    expect(metric).toContain('chronoring_runs_missed_total{policy="FIRE_ONCE"} 20');
    expect(metric).toContain('chronoring_runs_missed_total{policy="FIRE_ALL"} 15');
  });
});
