/**
 * BackfillService through the real app (auth on): a cancel stops the
 * sends and the runs out are still counted; another tenant sees neither the
 * job nor the backfill; roles; REST; and each bad input's code and field.
 */

import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BackfillMode,
  BackfillOrder,
  BackfillService,
  BackfillState,
} from "../../../gen/chronoring/v1/backfill_service_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { connectErrorOf } from "../../support/client.js";
import { tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MISSING = BackfillMode.MISSING;

describe("BackfillService through the app (auth on)", () => {
  let auth: TestAuth;
  let app: App;
  let jobs: Client<typeof JobService>;
  let backfills: Client<typeof BackfillService>;
  let jobId: string;
  let createdMs: number;

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("backfill-api", { ...auth.settings, BACKFILL_INTERVAL_MS: "200" });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    jobs = tenantClients(auth)(JobService, app.apiUrl!, "acme");
    backfills = tenantClients(auth)(BackfillService, app.apiUrl!, "acme");
    const { job } = await jobs.createJob({
      name: "every second, slow",
      owner: "backfill",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: { kind: { case: "noop", value: { sleep: durationFromMs(1000) } } },
    });
    jobId = job!.id;
    createdMs = timestampMs(job!.createTime!);
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  /** Seconds before the job existed (each test its own: none ran but a backfill's). */
  const secondsBefore = (fromS = 301, toS = 1) => ({
    jobId,
    from: timestampFromMs(createdMs - fromS * 1000),
    to: timestampFromMs(createdMs - toS * 1000),
  });

  it("a cancel stops the sends; the runs out are still counted; a second cancel is a no-op", {
    timeout: 90_000,
  }, async () => {
    const { backfill } = await backfills.backfillJob({
      ...secondsBefore(),
      mode: MISSING,
      maxConcurrent: 1,
      order: BackfillOrder.NEWEST_FIRST,
    });
    const id = backfill!.id;
    expect(backfill!.counts?.selected).toBe(300);
    await waitFor("a run sent", async () =>
      (await backfills.getBackfill({ id })).backfill!.counts!.sent >= 1 ? true : undefined,
    );
    const { backfill: cancelled } = await backfills.cancelBackfill({ id });
    expect(cancelled).toMatchObject({ state: BackfillState.CANCELLED, cancelledBy: "test-acme" });
    const sent = cancelled!.counts!.sent;
    expect(cancelled!.counts).toMatchObject({ remaining: 0, skipped: 300 - sent });
    expect(cancelled!.endTime).toBeDefined();
    await sleep(2500);
    const later = await waitFor("the runs out to end", async () => {
      const b = (await backfills.getBackfill({ id })).backfill!;
      return b.counts!.inFlight === 0 ? b : undefined;
    });
    expect(later.state).toBe(BackfillState.CANCELLED);
    expect(later.counts).toMatchObject({ sent, succeeded: sent });
    // Newest first: the time just before `to` went first.
    const runs = (await jobs.listExecutions({ jobId, pageSize: 500 })).executions.filter(
      (e) => e.backfillId === id,
    );
    const newest = Math.ceil((createdMs - 1000) / 1000) * 1000 - 1000;
    expect(runs.map((e) => timestampMs(e.scheduledTime!))).toContain(newest);
    expect((await backfills.cancelBackfill({ id })).backfill?.state).toBe(BackfillState.CANCELLED);
  });

  it("hides a tenant's job and backfills from another; viewers read, operators start and cancel", async () => {
    const range = secondsBefore(601, 501);
    const { backfill } = await backfills.backfillJob({ ...range, mode: MISSING, maxConcurrent: 1 });
    const id = backfill!.id;
    await backfills.cancelBackfill({ id });
    const globex = tenantClients(auth)(BackfillService, app.apiUrl!, "globex");
    // One call at a time: a call made ahead of the await that handles it
    // would reject unhandled meanwhile.
    for (const call of [
      () => globex.getBackfill({ id }),
      () => globex.cancelBackfill({ id }),
      () => globex.listBackfills({ jobId }),
      () => globex.backfillJob({ ...range, mode: MISSING, dryRun: true }),
    ]) {
      expect((await connectErrorOf(call())).code).toBe(Code.NotFound);
    }
    const as = async (roles: string[]) =>
      authedClient(BackfillService, app.apiUrl!, await auth.token({ tenant: "acme", roles }));
    const viewer = await as(["viewer"]);
    expect((await viewer.getBackfill({ id })).backfill?.id).toBe(id);
    expect((await viewer.listBackfills({ jobId })).backfills.map((b) => b.id)).toContain(id);
    const refused = await connectErrorOf(viewer.backfillJob({ ...range, mode: MISSING }));
    expect(refused.code).toBe(Code.PermissionDenied);
    const operator = await as(["operator"]);
    const dry = await operator.backfillJob({ ...range, mode: MISSING, dryRun: true });
    const sent = (await viewer.getBackfill({ id })).backfill!.counts!.sent;
    expect([dry.selected, dry.nominalTimes, dry.runs.length]).toEqual([
      100 - sent,
      100,
      100 - sent,
    ]);
  });

  it("answers over REST", async () => {
    const token = await auth.token({ tenant: "acme", roles: ["operator"] });
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const range = {
      from: new Date(createdMs - 411_000).toISOString(),
      to: new Date(createdMs - 401_000).toISOString(),
    };
    const res = await fetch(`${app.apiUrl}/v1/jobs/${jobId}:backfill`, {
      method: "POST",
      headers,
      body: JSON.stringify({ ...range, mode: "BACKFILL_MODE_MISSING", maxConcurrent: 2 }),
    });
    expect(res.status).toBe(200);
    const started = (await res.json()) as { backfill: { id: string; state: string } };
    expect(started.backfill.state).toBe("BACKFILL_STATE_RUNNING");
    const id = started.backfill.id;
    const got = await fetch(`${app.apiUrl}/v1/backfills/${id}`, { headers });
    expect(((await got.json()) as { backfill: { id: string } }).backfill.id).toBe(id);
    const listed = await fetch(`${app.apiUrl}/v1/jobs/${jobId}/backfills?page_size=1`, { headers });
    expect(((await listed.json()) as { backfills: unknown[] }).backfills).toHaveLength(1);
    const done = await waitFor("the backfill to finish", async () => {
      const b = (await backfills.getBackfill({ id })).backfill!;
      return b.state === BackfillState.DONE ? b : undefined;
    });
    expect(done.counts).toMatchObject({ selected: 10, succeeded: 10 });
    const cancel = await fetch(`${app.apiUrl}/v1/backfills/${id}:cancel`, {
      method: "POST",
      headers,
      body: "{}",
    });
    expect(cancel.status).toBe(412);
    expect(((await cancel.json()) as { code: string }).code).toBe("failed_precondition");
  });

  it("names each bad input", async () => {
    const now = Date.now();
    const ok = { ...secondsBefore(), mode: MISSING };
    // Between two whole seconds: no time of an every-second schedule.
    const second = Math.floor((createdMs - 5000) / 1000) * 1000;
    const cases: Array<[Parameters<typeof backfills.backfillJob>[0], Code, string]> = [
      [{ ...ok, jobId: "nope" }, Code.InvalidArgument, "job_id: must be job_ followed by"],
      [{ ...ok, from: undefined }, Code.InvalidArgument, "from: required"],
      [{ ...ok, to: undefined }, Code.InvalidArgument, "to: required"],
      [{ ...ok, to: ok.from }, Code.InvalidArgument, "to: must be after from"],
      [
        { ...ok, to: timestampFromMs(now + 60_000) },
        Code.InvalidArgument,
        "to: must not be after now",
      ],
      [
        { ...ok, from: timestampFromMs(createdMs - 20_000_000) },
        Code.InvalidArgument,
        "to: the range holds more than 10000 nominal times",
      ],
      [{ ...ok, mode: BackfillMode.UNSPECIFIED }, Code.InvalidArgument, "mode: required"],
      [{ ...ok, mode: 9 as BackfillMode }, Code.InvalidArgument, "mode: unknown backfill mode 9"],
      [
        { ...ok, order: 7 as BackfillOrder },
        Code.InvalidArgument,
        "order: unknown backfill order 7",
      ],
      [{ ...ok, maxConcurrent: 101 }, Code.InvalidArgument, "max_concurrent: must be 1 to 100"],
      [{ ...ok, jobId: `job_${"0".repeat(26)}` }, Code.NotFound, "job job_0000"],
      [
        { ...ok, from: timestampFromMs(second + 100), to: timestampFromMs(second + 900) },
        Code.FailedPrecondition,
        `job ${jobId} has no nominal time in [from, to)`,
      ],
    ];
    for (const [req, code, message] of cases) {
      const err = await connectErrorOf(backfills.backfillJob(req));
      expect([err.code, err.rawMessage.slice(0, message.length)], message).toEqual([code, message]);
    }
    const bad = await connectErrorOf(backfills.getBackfill({ id: "bf_x" }));
    expect([bad.code, bad.rawMessage]).toEqual([
      Code.InvalidArgument,
      "id: must be bf_ followed by 26 lowercase letters and digits",
    ]);
    const unknown = await connectErrorOf(backfills.getBackfill({ id: `bf_${"0".repeat(26)}` }));
    expect(unknown.code).toBe(Code.NotFound);
    const page = await connectErrorOf(backfills.listBackfills({ jobId, pageSize: 501 }));
    expect([page.code, page.rawMessage]).toEqual([
      Code.InvalidArgument,
      "page_size: must be 1 to 500, or 0 for 50",
    ]);
    const { job } = await jobs.createJob({
      name: "gone",
      owner: "backfill",
      schedule: { kind: { case: "cron", value: "0 * * * *" } },
      target: { kind: { case: "noop", value: {} } },
    });
    await jobs.deleteJob({ id: job!.id });
    const gone = await connectErrorOf(
      backfills.backfillJob({ ...ok, jobId: job!.id, from: timestampFromMs(now - 7_200_000) }),
    );
    expect([gone.code, gone.rawMessage]).toEqual([
      Code.FailedPrecondition,
      `job ${job!.id} is CANCELLED`,
    ]);
  });
});
