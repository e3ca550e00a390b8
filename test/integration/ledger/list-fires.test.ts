/**
 * ListFires through the real app (auth on) against DynamoDB Local and the
 * SQS emulator: a job whose runs start, are skipped by its overlap policy
 * and are held back by a pause with a note; a job whose calendar excludes
 * today; the ledger agrees with the stored executions and the pause
 * history, answers over REST, hides another tenant's job, and names each
 * bad input.
 */

import {
  durationFromMs,
  timestampDate,
  timestampFromMs,
  timestampMs,
} from "@bufbuild/protobuf/wkt";
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CalendarService } from "../../../gen/chronoring/v1/calendar_service_pb.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { FireOutcome } from "../../../gen/chronoring/v1/fire_pb.js";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { OverlapPolicy } from "../../../gen/chronoring/v1/limits_pb.js";
import { CalendarMode } from "../../../gen/chronoring/v1/schedule_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { connectErrorOf } from "../../support/client.js";
import { tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

const DAY = 24 * 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ListFires through the app (auth on)", () => {
  let auth: TestAuth;
  let app: App;
  let acme: Client<typeof JobService>;

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("list-fires", auth.settings);
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    acme = tenantClients(auth)(JobService, app.apiUrl!, "acme");
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  it("lists started, overlap-skipped and paused times as the executions and the pause history say", async () => {
    const { job } = await acme.createJob({
      name: "every second, one at a time",
      owner: "ledger",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: { kind: { case: "noop", value: { sleep: durationFromMs(1500) } } },
      limits: { maxConcurrent: 1, overlap: OverlapPolicy.SKIP },
    });
    const id = job!.id;
    const executions = async () =>
      (await acme.listExecutions({ jobId: id, pageSize: 500 })).executions;
    await waitFor("a run that succeeded and one skipped for overlap", async () => {
      const list = await executions();
      const done = list.some((e) => e.status === ExecutionStatus.SUCCEEDED);
      const skipped = list.some((e) => e.status === ExecutionStatus.SKIPPED);
      return done && skipped ? true : undefined;
    });
    const paused = await acme.pauseJob({ id, note: "upstream maintenance" });
    expect(paused.job?.pause).toMatchObject({
      pausedBy: "test-acme",
      note: "upstream maintenance",
    });
    await sleep(3000);
    const resumed = await acme.resumeJob({ id, note: "upstream back" });
    expect(resumed.job?.pause).toBeUndefined();
    expect(resumed.job?.pauseHistory).toHaveLength(1);
    expect(resumed.job?.pauseHistory[0]).toMatchObject({
      pausedBy: "test-acme",
      note: "upstream maintenance",
      resumedBy: "test-acme",
      resumeNote: "upstream back",
    });
    const pause = resumed.job!.pauseHistory[0]!;
    const resumeMs = timestampMs(pause.resumeTime!);
    await waitFor("a run after the resume", async () =>
      (await executions()).some((e) => timestampMs(e.scheduledTime!) > resumeMs) ? true : undefined,
    );
    await acme.deleteJob({ id });

    const stored = await executions();
    const from = timestampFromMs(timestampMs(job!.createTime!) - 5000);
    const out = await acme.listFires({ jobId: id, from, pageSize: 1000 });
    expect(out.timeZone).toBe("UTC");
    expect(out.nextPageToken).toBe("");
    // Nothing before the job's creation; one entry per second after it.
    const created = timestampMs(job!.createTime!);
    expect(out.fires.every((f) => timestampMs(f.nominalTime!) >= created)).toBe(true);
    const byTime = new Map(
      stored.filter((e) => !e.manual).map((e) => [timestampMs(e.scheduledTime!), e]),
    );
    for (const fire of out.fires) {
      const at = timestampMs(fire.nominalTime!);
      const e = byTime.get(at);
      if (e?.status === ExecutionStatus.SKIPPED) {
        expect(fire.outcome).toBe(FireOutcome.SKIPPED_OVERLAP);
      } else if (e?.startTime !== undefined) {
        expect([FireOutcome.STARTED, FireOutcome.HELD]).toContain(fire.outcome);
        expect(fire.executionId).toBe(e.id);
      }
      const inPause = at >= timestampMs(pause.pauseTime!) && at < resumeMs;
      if (inPause && e === undefined) {
        expect(fire.outcome).toBe(FireOutcome.SKIPPED_PAUSED);
        expect(fire.pause).toMatchObject({ pausedBy: "test-acme", note: "upstream maintenance" });
      }
    }
    const count = (o: FireOutcome) => out.counts.find((c) => c.outcome === o)?.count ?? 0n;
    expect(count(FireOutcome.STARTED)).toBeGreaterThan(0n);
    expect(count(FireOutcome.SKIPPED_OVERLAP)).toBeGreaterThan(0n);
    expect(count(FireOutcome.SKIPPED_PAUSED)).toBeGreaterThanOrEqual(2n);
    expect(out.counts.reduce((n, c) => n + c.count, 0n)).toBe(BigInt(out.fires.length));

    // Pages: the token is the next nominal time, and the pages add up.
    const first = await acme.listFires({ jobId: id, from, pageSize: 3 });
    expect(first.fires).toHaveLength(3);
    const second = await acme.listFires({
      jobId: id,
      from,
      pageSize: 3,
      pageToken: first.nextPageToken,
    });
    expect(second.fires.map((f) => timestampMs(f.nominalTime!))).toEqual(
      out.fires.slice(3, 6).map((f) => timestampMs(f.nominalTime!)),
    );

    // REST, with a viewer's token.
    const viewer = await auth.token({ tenant: "acme", roles: ["viewer"] });
    const res = await fetch(
      `${app.apiUrl}/v1/jobs/${id}/fires?from=${timestampDate(from).toISOString()}&page_size=2`,
      { headers: { authorization: `Bearer ${viewer}` } },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { fires: Array<{ outcome: string }>; nextPageToken: string };
    expect(body.fires).toHaveLength(2);
    expect(body.fires[0]?.outcome).toMatch(/^FIRE_OUTCOME_/);
    expect(body.nextPageToken).not.toBe("");
  });

  it("lists every time of a job whose calendar excludes the day as SKIPPED_CALENDAR", async () => {
    const now = Date.now();
    const dates = [now - DAY, now, now + DAY].map((ms) => new Date(ms).toISOString().slice(0, 10));
    const calendars = tenantClients(auth)(CalendarService, app.apiUrl!, "acme");
    await calendars.createCalendar({ calendar: { name: "closed", excludedDates: dates } });
    const { job } = await acme.createJob({
      name: "closed all week",
      owner: "ledger",
      schedule: {
        kind: { case: "cron", value: "*/10 * * * * *" },
        calendar: { name: "closed", mode: CalendarMode.SKIP },
      },
      target: { kind: { case: "noop", value: {} } },
    });
    expect(job?.status).toBe(JobStatus.ACTIVE);
    await sleep(2500);
    const out = await acme.listFires({
      jobId: job!.id,
      from: job!.createTime!,
      to: timestampFromMs(timestampMs(job!.createTime!) + 60_000),
    });
    expect(out.fires.length).toBeGreaterThanOrEqual(5);
    expect(out.fires.every((f) => f.outcome === FireOutcome.SKIPPED_CALENDAR)).toBe(true);
    expect(out.fires[0]?.notes[0]).toMatch(/is excluded by calendar "closed" \(skipped\)$/);
    expect(out.counts).toEqual([
      expect.objectContaining({
        outcome: FireOutcome.SKIPPED_CALENDAR,
        count: BigInt(out.fires.length),
      }),
    ]);
    await acme.deleteJob({ id: job!.id });
  });

  it("answers another tenant's job as unknown, and names each bad input", async () => {
    const { job } = await acme.createJob({
      name: "hourly",
      owner: "ledger",
      schedule: { kind: { case: "cron", value: "0 * * * *" } },
      target: { kind: { case: "noop", value: {} } },
    });
    const id = job!.id;
    const globex = tenantClients(auth)(JobService, app.apiUrl!, "globex");
    expect((await connectErrorOf(globex.listFires({ jobId: id }))).code).toBe(Code.NotFound);
    expect((await connectErrorOf(acme.listFires({ jobId: `job_${"0".repeat(26)}` }))).code).toBe(
      Code.NotFound,
    );
    const now = Date.now();
    const cases: Array<[Parameters<typeof acme.listFires>[0], string]> = [
      [{ jobId: "nope" }, "job_id: must be job_ followed by 26 lowercase letters and digits"],
      [{ jobId: id, from: timestampFromMs(now + DAY) }, "from: must be before to (default now)"],
      [
        { jobId: id, from: timestampFromMs(now), to: timestampFromMs(now) },
        "to: must be after from",
      ],
      [
        { jobId: id, from: timestampFromMs(now - 32 * DAY), to: timestampFromMs(now) },
        "to: must be at most 31 days after from",
      ],
      [{ jobId: id, pageSize: 1001 }, "page_size: must be 1 to 1000, or 0 for 100"],
      [{ jobId: id, pageToken: "abc" }, "page_token: not a token returned for this range"],
    ];
    for (const [req, message] of cases) {
      const err = await connectErrorOf(acme.listFires(req));
      expect([err.code, err.rawMessage]).toEqual([Code.InvalidArgument, message]);
    }
    const note = await connectErrorOf(acme.pauseJob({ id, note: "x".repeat(501) }));
    expect([note.code, note.rawMessage]).toEqual([
      Code.InvalidArgument,
      "note: must be at most 500 characters",
    ]);
    const viewer = authedClient(
      JobService,
      app.apiUrl!,
      await auth.token({ tenant: "acme", roles: ["viewer"] }),
    );
    expect((await viewer.listFires({ jobId: id })).fires.length).toBeLessThanOrEqual(24);
    expect((await connectErrorOf(viewer.pauseJob({ id }))).code).toBe(Code.PermissionDenied);
    await acme.deleteJob({ id });
  });
});
