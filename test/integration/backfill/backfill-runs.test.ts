/**
 * Backfills through the real app (auth on) against DynamoDB Local, the SQS
 * emulator and etcd: a job whose runs were held back by a pause gets
 * exactly its holes run (each as attempt 1 of the time's execution id,
 * named by the backfill), never a time that ran, at most max_concurrent at
 * a time; a dry run writes nothing; a backfill goes on where it stopped
 * when the node is stopped and another started on the same store.
 */

import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BackfillMode,
  BackfillService,
  BackfillState,
} from "../../../gen/chronoring/v1/backfill_service_pb.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { FireOutcome } from "../../../gen/chronoring/v1/fire_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import { tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("backfill runs through the app", () => {
  let auth: TestAuth;
  let config: Config;
  let app: App;
  let jobs: Client<typeof JobService>;
  let backfills: Client<typeof BackfillService>;

  async function start(): Promise<void> {
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    const clients = tenantClients(auth);
    jobs = clients(JobService, app.apiUrl!, "acme");
    backfills = clients(BackfillService, app.apiUrl!, "acme");
  }

  beforeAll(async () => {
    auth = await testAuth();
    config = testConfig("backfill-runs", { ...auth.settings, BACKFILL_INTERVAL_MS: "200" });
    await start();
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  const executionsOf = async (jobId: string) =>
    (await jobs.listExecutions({ jobId, pageSize: 500 })).executions;

  it("runs exactly the holes a pause left (MISSING), at most max_concurrent at a time", {
    timeout: 120_000,
  }, async () => {
    const { job } = await jobs.createJob({
      name: "every second",
      owner: "backfill",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: { kind: { case: "noop", value: { sleep: durationFromMs(300) } } },
    });
    const id = job!.id;
    const succeeded = async () =>
      (await executionsOf(id)).filter((e) => e.status === ExecutionStatus.SUCCEEDED);
    await waitFor("three runs", async () => ((await succeeded()).length >= 3 ? true : undefined));
    // From its first run on: times before the job existed are not in its ledger.
    const from = Math.min(...(await succeeded()).map((e) => timestampMs(e.scheduledTime!)));
    await jobs.pauseJob({ id, note: "hole" });
    await sleep(4000);
    const resumed = await jobs.resumeJob({ id });
    const resumeMs = timestampMs(resumed.job!.updateTime!);
    await waitFor("a run after the resume", async () =>
      (await succeeded()).some((e) => timestampMs(e.scheduledTime!) > resumeMs) ? true : undefined,
    );
    const range = { jobId: id, from: timestampFromMs(from), to: timestampFromMs(resumeMs) };

    // The holes, as the ledger tells them: times with no run of their own.
    const ledger = await jobs.listFires({ ...range, pageSize: 1000 });
    const noRun = [FireOutcome.SKIPPED_PAUSED, FireOutcome.MISSED, FireOutcome.MERGED];
    const holes = ledger.fires
      .filter(
        (f) =>
          noRun.includes(f.outcome) && (f.executionId === "" || f.outcome === FireOutcome.MERGED),
      )
      .map((f) => timestampMs(f.nominalTime!));
    expect(holes.length).toBeGreaterThanOrEqual(2);
    const ran = ledger.fires.filter((f) => f.outcome === FireOutcome.STARTED);
    expect(ran.length).toBeGreaterThanOrEqual(2);

    const dry = await backfills.backfillJob({ ...range, mode: BackfillMode.MISSING, dryRun: true });
    expect(dry.backfill).toBeUndefined();
    expect(dry.runs.map((r) => timestampMs(r.nominalTime!))).toEqual(holes);
    expect(dry.runs.every((r) => r.attempt === 1 && r.executionId.endsWith(":1"))).toBe(true);
    expect(dry.selected).toBe(holes.length);
    // A dry run writes nothing.
    expect((await backfills.listBackfills({ jobId: id })).backfills).toEqual([]);

    const { backfill } = await backfills.backfillJob({
      ...range,
      mode: BackfillMode.MISSING,
      maxConcurrent: 1,
    });
    expect(backfill).toMatchObject({ state: BackfillState.RUNNING, createdBy: "test-acme" });
    expect(backfill!.counts).toMatchObject({ selected: holes.length, remaining: holes.length });
    let most = 0;
    const done = await waitFor(
      "the backfill to finish",
      async () => {
        const b = (await backfills.getBackfill({ id: backfill!.id })).backfill!;
        most = Math.max(most, b.counts!.inFlight);
        const running = (await executionsOf(id)).filter(
          (e) => e.backfillId === b.id && e.status === ExecutionStatus.RUNNING,
        );
        most = Math.max(most, running.length);
        return b.state === BackfillState.DONE ? b : undefined;
      },
      60_000,
    );
    expect(most).toBe(1);
    expect(done.counts).toMatchObject({
      selected: holes.length,
      sent: holes.length,
      started: holes.length,
      succeeded: holes.length,
      failed: 0,
      remaining: 0,
      inFlight: 0,
    });
    const byBackfill = (await executionsOf(id)).filter((e) => e.backfillId === backfill!.id);
    expect(byBackfill.map((e) => timestampMs(e.scheduledTime!)).sort()).toEqual(holes);
    expect(byBackfill.every((e) => e.attempt === 1 && !e.manual)).toBe(true);
    // No time that ran ran again: every attempt at those times is the first.
    const ranAt = new Set(ran.map((f) => timestampMs(f.fireTime!)));
    const again = (await executionsOf(id)).filter(
      (e) => ranAt.has(timestampMs(e.scheduledTime!)) && e.attempt > 1,
    );
    expect(again).toEqual([]);
    // The ledger now names the backfill on those times.
    const after = await jobs.listFires({ ...range, pageSize: 1000 });
    for (const f of after.fires.filter((x) => holes.includes(timestampMs(x.nominalTime!)))) {
      expect([f.outcome, f.backfillId]).toEqual([FireOutcome.STARTED, backfill!.id]);
    }
    expect((await backfills.listBackfills({ jobId: id })).backfills.map((b) => b.id)).toEqual([
      backfill!.id,
    ]);
    await jobs.deleteJob({ id });
  });

  it("goes on where it stopped when its node stops and another starts on the same store", {
    timeout: 120_000,
  }, async () => {
    const { job } = await jobs.createJob({
      name: "every second, backfilled before its creation",
      owner: "backfill",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: { kind: { case: "noop", value: { sleep: durationFromMs(150) } } },
    });
    const id = job!.id;
    const created = timestampMs(job!.createTime!);
    // 30 seconds before the job existed: 30 times, none ran.
    const range = {
      jobId: id,
      from: timestampFromMs(created - 31_000),
      to: timestampFromMs(created - 1000),
    };
    const { backfill } = await backfills.backfillJob({
      ...range,
      mode: BackfillMode.MISSING,
      maxConcurrent: 3,
    });
    expect(backfill!.counts!.selected).toBe(30);
    await waitFor("a few runs sent", async () => {
      const b = (await backfills.getBackfill({ id: backfill!.id })).backfill!;
      return b.counts!.sent >= 6 ? true : undefined;
    });
    await app.close();
    await start();
    const done = await waitFor(
      "the backfill to finish on the new node",
      async () => {
        const b = (await backfills.getBackfill({ id: backfill!.id })).backfill!;
        return b.state === BackfillState.DONE ? b : undefined;
      },
      60_000,
    );
    expect(done.counts).toMatchObject({ selected: 30, sent: 30, succeeded: 30, failed: 0 });
    const runs = (await executionsOf(id)).filter((e) => e.backfillId === backfill!.id);
    const times = runs.map((e) => timestampMs(e.scheduledTime!));
    expect(new Set(times).size).toBe(30);
    expect(runs.every((e) => e.attempt === 1 && e.status === ExecutionStatus.SUCCEEDED)).toBe(true);
    await jobs.deleteJob({ id });
  });
});
