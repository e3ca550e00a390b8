/**
 * Flexible windows end to end in one process (API, scheduler and worker on
 * DynamoDB Local and the SQS emulator): 200 jobs whose one run is due at the
 * same instant with a 10 s window start spread over the window, each inside
 * it and once; the executions keep the nominal time and record the planned
 * start. Bad windows are refused naming `schedule.flexible_window`, over
 * gRPC and REST, and a REST preview shows each time's window end.
 */

import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import type { Execution } from "../../../src/core/execution.js";
import { startMargin } from "../../../src/core/window-spread.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const JOBS = 200;
const WINDOW = 10_000;
const noop = { kind: { case: "noop" as const, value: {} } };

/** Starts per second over [from, from + span) ÷ the average: the busiest second's share. */
function peakToAverage(times: number[], fromMs: number, spanMs: number): number {
  const seconds = Math.ceil(spanMs / 1000);
  const counts = new Array<number>(seconds).fill(0);
  for (const t of times) counts[Math.min(seconds - 1, Math.floor((t - fromMs) / 1000))]!++;
  return Math.max(...counts) / (times.length / seconds);
}

describe("flexible windows with a real scheduler and worker", () => {
  let app: App;
  let client: ReturnType<typeof jobClient>;
  let stores: Awaited<ReturnType<typeof testStores>>;
  const config = testConfig("flexwin", {
    ETCD_ENDPOINTS: "",
    PARTITIONS: "16",
    WORKER_CONCURRENCY: "32",
    // The default look-ahead: the claims of the 200 runs are written before their time.
    LOOKAHEAD_MS: "5000",
  });

  beforeAll(async () => {
    app = await startApp(config, { logger: silentLogger });
    client = jobClient(app.apiUrl!);
    stores = await testStores(config);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it("starts 200 runs of one instant spread over their 10 s window, each inside it and once", {
    timeout: 180_000,
  }, async () => {
    // Every 10 s, but only the first run: all 200 share one instant, far
    // enough ahead for the creates to end before it (one BatchCreateJobs:
    // well under a second here, 10 s at the least).
    const t0 = Math.ceil((Date.now() + 10_000) / 10_000) * 10_000;
    const { results } = await client.batchCreateJobs({
      jobs: Array.from({ length: JOBS }, (_, i) => ({
        name: `spread ${i}`,
        owner: "flexwin",
        schedule: {
          kind: { case: "cron" as const, value: "*/10 * * * * *" },
          startTime: timestampFromMs(t0),
          endTime: timestampFromMs(t0 + 5_000),
          flexibleWindow: durationFromMs(WINDOW),
        },
        target: noop,
      })),
    });
    const ids = results.map((r) => r.jobId);
    expect(ids.filter((id) => id !== "")).toHaveLength(JOBS);
    expect(Date.now()).toBeLessThan(t0);

    // Each job's executions, from the store (they carry the planned start).
    const executions = await waitFor(
      "every run to finish",
      async () => {
        const all: Execution[][] = [];
        for (const id of ids) {
          const runs = await stores.executions.executionsBetween("default", id, 0, t0 + 60_000, 10);
          if (!runs.some((e) => e.status === "SUCCEEDED")) return undefined;
          all.push(runs);
        }
        return all;
      },
      90_000,
    );

    const planned: number[] = [];
    const started: number[] = [];
    for (const runs of executions) {
      // Once: one run, one attempt, at the nominal time.
      expect(runs).toHaveLength(1);
      const run = runs[0]!;
      expect(run).toMatchObject({ scheduledMs: t0, attempt: 1, status: "SUCCEEDED" });
      expect(run.plannedMs).toBeGreaterThanOrEqual(t0);
      expect(run.plannedMs).toBeLessThan(t0 + WINDOW - startMargin(WINDOW));
      // Inside the window: not before its time, not after the window's end.
      expect(run.startedMs).toBeGreaterThanOrEqual(run.plannedMs!);
      expect(run.startedMs).toBeLessThan(t0 + WINDOW);
      planned.push(run.plannedMs!);
      started.push(run.startedMs!);
    }
    // Spread: the plan is even (one node plans every run of the instant),
    // and the starts follow it (without a window all 200 would start in
    // the first second).
    const span = WINDOW - startMargin(WINDOW);
    expect(peakToAverage(planned, t0, span)).toBeLessThanOrEqual(1.2);
    expect(peakToAverage(started, t0, span)).toBeLessThanOrEqual(2);
    expect(Math.max(...started) - Math.min(...started)).toBeGreaterThan(span * 0.8);

    // The API shows the nominal time; the ledger notes the planned start.
    const { executions: listed } = await client.listExecutions({ jobId: ids[0]!, pageSize: 10 });
    expect(timestampMs(listed[0]!.scheduledTime!)).toBe(t0);
    const { fires } = await client.listFires({
      jobId: ids[0]!,
      from: timestampFromMs(t0 - 1),
      to: timestampFromMs(t0 + 1),
    });
    expect(fires[0]?.notes.join("; ")).toMatch(
      /^flexible window 10 s: planned start \d+\.\d{3} s into it; started \d+\.\d{3} s after the planned start$/,
    );
  });

  it.each([
    [
      "under 1 s",
      { kind: { case: "cron" as const, value: "0 * * * *" } },
      999,
      /between 1 s and 15 min/,
    ],
    [
      "over 15 min",
      { kind: { case: "at" as const, value: timestampFromMs(Date.now() + 3_600_000) } },
      900_001,
      /between 1 s and 15 min/,
    ],
    [
      "longer than the period",
      { kind: { case: "interval" as const, value: "1m" } },
      61_000,
      /at most the schedule's period \(60000 ms\)/,
    ],
    [
      "with jitter",
      { kind: { case: "cron" as const, value: "0 * * * *" }, jitter: durationFromMs(1_000) },
      60_000,
      /cannot be combined with schedule\.jitter/,
    ],
  ])("refuses a window %s, naming schedule.flexible_window", async (_, spec, windowMs, message) => {
    const err = await client
      .createJob({
        name: "bad window",
        owner: "flexwin",
        schedule: { ...spec, flexibleWindow: durationFromMs(windowMs) },
        target: noop,
      })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.rawMessage).toMatch(/^schedule\.flexible_window: /);
    expect(err?.rawMessage).toMatch(message);
  });

  it("over REST: a bad window is a 400 naming the field; a preview shows each time's window end", async () => {
    const bad = await fetch(`${app.apiUrl}/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "bad",
        owner: "flexwin",
        schedule: { cron: "0 * * * *", flexibleWindow: "1200s" },
        target: { noop: {} },
      }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/schedule\.flexible_window: /);

    const res = await fetch(`${app.apiUrl}/v1/jobs:preview`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        schedule: { cron: "0 * * * *", flexibleWindow: "60s" },
        after: "2030-01-01T00:00:00Z",
        count: 2,
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      fireTimes: Array<{ time: string; windowEnd: string; notes: string[] }>;
    };
    expect(body.fireTimes.map((f) => [f.time, f.windowEnd])).toEqual([
      ["2030-01-01T01:00:00Z", "2030-01-01T01:01:00Z"],
      ["2030-01-01T02:00:00Z", "2030-01-01T02:01:00Z"],
    ]);
    expect(body.fireTimes[0]?.notes[0]).toMatch(/^flexible window 1 min: /);
  });
});
