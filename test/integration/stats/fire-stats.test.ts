/**
 * GetFireStats on the real store (DynamoDB Local) and the real app: the
 * table is made with its TTL, workers' counts add up in one item per tenant
 * and minute, a flush writes one item per tenant and minute however many
 * runs started (counted by SDK middleware), and the RPC shows a tenant its
 * own starts only, with auth on.
 */

import { DescribeTimeToLiveCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { FIRE_STATS_KEEP_MS } from "../../../src/adapters/dynamodb/fire-stats-store.js";
import { WriteCounter } from "../../../src/adapters/dynamodb/write-counter.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type App, startApp } from "../../../src/app.js";
import { systemClock } from "../../../src/core/clock.js";
import { createFireStatsQueries, minuteOf } from "../../../src/core/fire-stats.js";
import { startFireStatsRecorder } from "../../../src/worker/fire-stats-recorder.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { connectErrorOf } from "../../support/client.js";
import { makeRun } from "../../support/jobs.js";
import { tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

describe("the fire stats store", () => {
  const config = testConfig("fire-stats-store");
  const writes = new WriteCounter();
  const adapters = createAdapters(config, { writeCounter: writes });
  const store = adapters.fireStats;
  afterAll(() => adapters.dynamo.destroy());

  it("creates its table with a TTL, and a second init changes nothing", async () => {
    await store.init();
    await store.init();
    const ttl = await adapters.dynamo.send(
      new DescribeTimeToLiveCommand({ TableName: tableNames(config.store.tablePrefix).fireStats }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: "ENABLED",
      AttributeName: "expires",
    });
  });

  it("adds two workers' counts into one item per tenant and minute, with its expiry", async () => {
    const now = Date.now();
    const minute = minuteOf(now);
    const workers = [1, 2].map(() =>
      startFireStatsRecorder({ store, clock: systemClock, logger: silentLogger, flushMs: 60_000 }),
    );
    writes.reset();
    for (const [w, recorder] of workers.entries()) {
      for (let i = 0; i < 500; i++)
        recorder.started(makeRun("acme", minute + i), minute + i + 10 * (w + 1));
      recorder.started(makeRun("acme", minute, 3), minute + 5000);
      recorder.started(makeRun("globex", minute), minute + 2);
    }
    for (const recorder of workers) await recorder.stop();
    // 1,002 starts per worker: one write per tenant and minute each.
    expect(writes.snapshot()).toEqual({ UpdateItemCommand: 4 });

    const stored = await store.read("acme", minute, minute);
    expect(stored.get(minute)).toMatchObject({ fires: 1000, retries: 2, latenessSumMs: 15_000 });
    expect(stored.get(minute)!.buckets.reduce((a, b) => a + b, 0)).toBe(1000);
    expect((await store.read("globex", minute, minute)).get(minute)?.fires).toBe(2);
    expect((await store.read("nobody", minute, minute)).size).toBe(0);

    const item = await adapters.dynamo.send(
      new GetItemCommand({
        TableName: tableNames(config.store.tablePrefix).fireStats,
        Key: { tenant: { S: "acme" }, minute: { N: String(minute) } },
      }),
    );
    expect(Number(item.Item?.expires?.N)).toBe(Math.floor((minute + FIRE_STATS_KEEP_MS) / 1000));

    const window = await createFireStatsQueries({ store, clock: systemClock }).recent("acme", 60);
    expect(window.minutes).toHaveLength(60);
    expect(window.minutes.at(-1)!.counts.fires).toBe(1000);
  });
});

describe("GetFireStats through the app (auth on)", () => {
  let auth: TestAuth;
  let app: App;

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("fire-stats-app", { ...auth.settings, FIRE_STATS_FLUSH_MS: "200" });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  it("shows a tenant its own runs per minute, with lateness, and another tenant none", async () => {
    const as = tenantClients(auth);
    const acme = as(JobService, app.apiUrl!, "acme");
    const { job } = await acme.createJob({
      name: "every second",
      owner: "stats",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: { kind: { case: "noop", value: {} } },
    });
    const viewer = authedClient(
      JobService,
      app.apiUrl!,
      await auth.token({ tenant: "acme", roles: ["viewer"] }),
    );
    const stats = await waitFor("three fires in the stats", async () => {
      const out = await viewer.getFireStats({});
      return out.fires >= 3n ? out : undefined;
    });
    await acme.deleteJob({ id: job!.id });

    expect(stats.minutes).toHaveLength(60);
    expect(stats.latenessBoundsMs.length).toBeGreaterThan(5);
    const last = stats.minutes.at(-1)!;
    // The window ends with the current minute (the one the call was answered in).
    expect(minuteOf(Date.now()) - timestampMs(last.startTime!)).toBeLessThanOrEqual(60_000);
    expect(timestampMs(last.startTime!) % 60_000).toBe(0);
    const fires = stats.minutes.reduce((n, m) => n + m.fires, 0n);
    expect(fires).toBe(stats.fires);
    for (const m of stats.minutes) {
      expect(m.latenessBuckets).toHaveLength(stats.latenessBoundsMs.length + 1);
      expect(m.latenessBuckets.reduce((a, b) => a + b, 0n)).toBe(m.fires);
    }
    expect(stats.latenessP99Ms).toBeGreaterThan(0);
    expect(stats.latenessP50Ms).toBeLessThanOrEqual(stats.latenessP99Ms);

    const globex = await as(JobService, app.apiUrl!, "globex").getFireStats({ minutes: 5 });
    expect(globex.minutes).toHaveLength(5);
    expect(globex.fires).toBe(0n);
  });

  it("answers InvalidArgument naming minutes for more than a day", async () => {
    const acme = tenantClients(auth)(JobService, app.apiUrl!, "acme");
    const err = await connectErrorOf(acme.getFireStats({ minutes: 1441 }));
    expect([err.code, err.rawMessage]).toEqual([
      Code.InvalidArgument,
      "minutes: must be 1 to 1440, or 0 for 60",
    ]);
  });
});
