/**
 * Failure policies and run limits end to end in one process (api +
 * scheduler + worker) on DynamoDB Local and the SQS emulator, with a local
 * HTTP target that fails on demand and a local notification receiver:
 * pause_after_failures pauses the job with the system's note and tells
 * PAUSED; after a fix and a resume the first success tells RECOVERED;
 * remaining_runs fires exactly that many runs and finishes the job.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { FireOutcome } from "../../../gen/chronoring/v1/fire_pb.js";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { NotifyEvent } from "../../../gen/chronoring/v1/notification_pb.js";
import { RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { connectErrorOf, jobClient } from "../../support/client.js";
import { type Receiver, startReceiver } from "../../support/receiver.js";
import { waitFor } from "../../support/wait.js";

interface Notice {
  event: string;
  jobId: string;
  executionId: string;
  status: string;
  error?: string;
  consecutiveFailures?: number;
  pausedBy?: string;
  pauseNote?: string;
}

describe("failure policies and run limits", () => {
  let app: App;
  let http: Receiver;
  let base: string;
  let client: ReturnType<typeof jobClient>;
  /** Paths of the target that answer 500 while listed. */
  const broken = new Set<string>();
  const notices: Notice[] = [];

  beforeAll(async () => {
    http = await startReceiver(({ path, body }) => {
      if (path === "/notify") notices.push(JSON.parse(body) as Notice);
      return broken.has(path) ? 500 : 200;
    });
    base = http.base;
    const config = testConfig("failpolicy", {
      ETCD_ENDPOINTS: "",
      NOTIFY_ATTEMPTS: "4",
      NOTIFY_BACKOFF_MS: "50",
    });
    app = await startApp(config, { logger: silentLogger });
    client = jobClient(app.apiUrl!);
  });
  afterAll(async () => {
    await app?.close();
    await http?.close();
  });

  const everySecond = { kind: { case: "interval" as const, value: "1s" } };
  const httpTarget = (path: string) => ({
    kind: { case: "http" as const, value: { method: "GET", url: `${base}${path}` } },
  });
  const notifyAll = () => ({
    targets: [
      {
        events: [NotifyEvent.FAILED, NotifyEvent.DEAD, NotifyEvent.PAUSED, NotifyEvent.RECOVERED],
        kind: { case: "webhook" as const, value: { url: `${base}/notify` } },
      },
    ],
  });
  /** The job once it is in `status`. */
  const untilStatus = (id: string, status: JobStatus, timeoutMs: number) =>
    waitFor(
      `job ${id} ${JobStatus[status]}`,
      async () => {
        const j = (await client.getJob({ id })).job!;
        return j.status === status ? j : undefined;
      },
      timeoutMs,
    );
  const noticesOf = (jobId: string, event: string) =>
    notices.filter((n) => n.jobId === jobId && n.event === event);

  it("pauses after N failed runs with the system's note, tells PAUSED; after a fix and a resume the first success tells RECOVERED", async () => {
    broken.add("/flaky");
    const { job } = await client.createJob({
      name: "pauses after 3",
      owner: "ops",
      schedule: everySecond,
      target: httpTarget("/flaky"),
      pauseAfterFailures: 3,
      notifications: notifyAll(),
    });
    const id = job!.id;
    expect(job).toMatchObject({ pauseAfterFailures: 3, consecutiveFailures: 0 });

    const paused = await untilStatus(id, JobStatus.PAUSED, 30_000);
    expect(paused.pause?.pausedBy).toBe("system:pause-after-failures");
    expect(paused.pause?.note).toMatch(
      new RegExp(`^3 consecutive failed runs; last: ${id}:\\d+:1: HTTP 500`),
    );
    expect(paused.pauseHistory.at(-1)?.pausedBy).toBe("system:pause-after-failures");
    // Runs already started when it paused may still fail and count; none pauses again.
    expect(paused.consecutiveFailures).toBeGreaterThanOrEqual(3);

    const pausedNotice = await waitFor("the PAUSED notification", () =>
      noticesOf(id, "paused").at(0),
    );
    expect(pausedNotice).toMatchObject({
      status: "FAILED",
      consecutiveFailures: 3,
      pausedBy: "system:pause-after-failures",
      pauseNote: paused.pause?.note,
    });
    expect(paused.pause?.note).toContain(pausedNotice.executionId);
    // Each failed run told FAILED, before the pause it caused.
    expect(noticesOf(id, "failed").length).toBeGreaterThanOrEqual(3);

    // The fire ledger shows the times after the pause as held back by it, and by whom.
    await sleep(2500);
    const from = paused.pause!.pauseTime!;
    const ledger = await client.listFires({ jobId: id, from, pageSize: 100 });
    const skipped = ledger.fires.filter((f) => f.outcome === FireOutcome.SKIPPED_PAUSED);
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    expect(skipped[0]?.pause?.pausedBy).toBe("system:pause-after-failures");
    expect(skipped[0]?.pause?.note).toBe(paused.pause?.note);
    expect(noticesOf(id, "paused")).toHaveLength(1);

    broken.delete("/flaky");
    const resumed = (await client.resumeJob({ id, note: "target fixed" })).job!;
    expect(resumed.status).toBe(JobStatus.ACTIVE);
    expect(resumed.consecutiveFailures).toBe(0);
    const resumedMs = timestampMs(resumed.updateTime!);

    const recovered = await waitFor("the RECOVERED notification", () =>
      noticesOf(id, "recovered").at(0),
    );
    expect(recovered.status).toBe("SUCCEEDED");
    const { execution } = await client.getExecution({ id: recovered.executionId });
    expect(execution?.status).toBe(ExecutionStatus.SUCCEEDED);
    expect(timestampMs(execution!.scheduledTime!)).toBeGreaterThanOrEqual(resumedMs - 1000);
    // Later successes tell nothing more.
    await sleep(2500);
    expect(noticesOf(id, "recovered")).toHaveLength(1);
    const after = (await client.getJob({ id })).job!;
    expect(after).toMatchObject({ status: JobStatus.ACTIVE, consecutiveFailures: 0 });
    await client.deleteJob({ id });
  });

  it("counts a run once, by its final outcome: attempts that a retry follows do not count, DEAD does", async () => {
    broken.add("/dead");
    const { job } = await client.createJob({
      name: "dead twice",
      owner: "ops",
      schedule: { kind: { case: "interval" as const, value: "3s" } },
      target: httpTarget("/dead"),
      retryPolicy: {
        strategy: RetryStrategy.ALWAYS,
        maxRetries: 1,
        retryDelay: { seconds: 1n, nanos: 0 },
      },
      pauseAfterFailures: 2,
      notifications: notifyAll(),
    });
    const id = job!.id;
    const paused = await untilStatus(id, JobStatus.PAUSED, 40_000);
    // The second run's last attempt (2) is the one named.
    expect(paused.pause?.note).toMatch(
      new RegExp(`^2 consecutive failed runs; last: ${id}:\\d+:2: `),
    );
    const { executions } = await client.listExecutions({ jobId: id, pageSize: 100 });
    const dead = executions.filter((e) => e.status === ExecutionStatus.DEAD);
    const failedAttempts = executions.filter((e) => e.status === ExecutionStatus.FAILED);
    expect(dead.length).toBeGreaterThanOrEqual(2);
    expect(failedAttempts.length).toBeGreaterThanOrEqual(2);
    expect(noticesOf(id, "dead").length).toBeGreaterThanOrEqual(2);
    await client.deleteJob({ id });
    broken.delete("/dead");
  });

  it("a job every second with remaining_runs 3 runs exactly 3 times and is FINISHED; raising it runs it again; TriggerJob does not count", async () => {
    const createdMs = Date.now();
    const { job } = await client.createJob({
      name: "three runs",
      owner: "ops",
      schedule: everySecond,
      target: httpTarget("/ok"),
      remainingRuns: 3,
    });
    const id = job!.id;
    expect(job).toMatchObject({ remainingRuns: 3, grantedRuns: 3, status: JobStatus.ACTIVE });
    const finished = await untilStatus(id, JobStatus.FINISHED, 30_000);
    expect(finished.remainingRuns).toBe(0);
    expect(finished.grantedRuns).toBe(3);
    expect(finished.nextRunTime).toBeUndefined();
    const succeeded = async () => {
      const { executions } = await client.listExecutions({ jobId: id, pageSize: 100 });
      return executions.filter((e) => !e.manual && e.status === ExecutionStatus.SUCCEEDED);
    };
    await waitFor("three runs done", async () =>
      (await succeeded()).length === 3 ? true : undefined,
    );
    await sleep(3000);
    const runs = await succeeded();
    expect(runs).toHaveLength(3);
    expect(new Set(runs.map((e) => e.id)).size).toBe(3);

    // The ledger: three started, then FINISHED, never PENDING after the last run.
    const lastMs = timestampMs(finished.lastRunTime!);
    const ledger = await client.listFires({
      jobId: id,
      from: { seconds: BigInt(Math.floor(createdMs / 1000) - 1), nanos: 0 },
      to: { seconds: BigInt(Math.floor(Date.now() / 1000) + 5), nanos: 0 },
      pageSize: 100,
    });
    const started = ledger.fires.filter((f) => f.outcome === FireOutcome.STARTED);
    expect(started).toHaveLength(3);
    const afterLast = ledger.fires.filter((f) => timestampMs(f.nominalTime!) > lastMs);
    expect(afterLast.length).toBeGreaterThan(3);
    expect(afterLast.every((f) => f.outcome === FireOutcome.FINISHED)).toBe(true);
    expect(ledger.fires.some((f) => f.outcome === FireOutcome.PENDING)).toBe(false);

    // ResumeJob does not revive it; a manual run does not spend a run.
    const refused = await connectErrorOf(client.resumeJob({ id }));
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(refused.rawMessage).toContain("raise them with UpdateJob");
    const { execution: manual } = await client.triggerJob({ id });
    await waitFor("the manual run", async () => {
      const e = (await client.getExecution({ id: manual!.id })).execution!;
      return e.status === ExecutionStatus.SUCCEEDED ? e : undefined;
    });
    expect((await client.getJob({ id })).job).toMatchObject({
      status: JobStatus.FINISHED,
      remainingRuns: 0,
    });

    // UpdateJob raising remaining_runs makes it ACTIVE again for that many runs.
    const raised = (
      await client.updateJob({
        job: { id, remainingRuns: 2 },
        updateMask: { paths: ["remaining_runs"] },
      })
    ).job!;
    expect(raised).toMatchObject({ status: JobStatus.ACTIVE, remainingRuns: 2, grantedRuns: 2 });
    expect(raised.nextRunTime).toBeDefined();
    await untilStatus(id, JobStatus.FINISHED, 30_000);
    await waitFor("five runs done", async () =>
      (await succeeded()).length === 5 ? true : undefined,
    );
    await sleep(2000);
    expect(await succeeded()).toHaveLength(5);
  });

  it("refuses bad values with InvalidArgument naming the field (gRPC and REST); UpdateJob sets and clears both", async () => {
    const bad = {
      name: "bad",
      owner: "ops",
      schedule: { kind: { case: "interval" as const, value: "1h" } },
      target: httpTarget("/ok"),
    };
    const tooMany = await connectErrorOf(client.createJob({ ...bad, pauseAfterFailures: 1001 }));
    expect(tooMany.code).toBe(Code.InvalidArgument);
    expect(tooMany.rawMessage).toMatch(/^pause_after_failures: must be 0 \(off\) to 1000/);
    const zero = await connectErrorOf(client.createJob({ ...bad, remainingRuns: 0 }));
    expect(zero.code).toBe(Code.InvalidArgument);
    expect(zero.rawMessage).toMatch(/^remaining_runs: must be 1 to 1000000/);
    const huge = await connectErrorOf(client.createJob({ ...bad, remainingRuns: 1_000_001 }));
    expect(huge.rawMessage).toMatch(/^remaining_runs: /);

    const { job } = await client.createJob({ ...bad, pauseAfterFailures: 5, remainingRuns: 10 });
    const id = job!.id;
    const badUpdate = await connectErrorOf(
      client.updateJob({
        job: { id, remainingRuns: 0 },
        updateMask: { paths: ["remaining_runs"] },
      }),
    );
    expect(badUpdate.code).toBe(Code.InvalidArgument);
    expect(badUpdate.rawMessage).toMatch(/^job\.remaining_runs: /);
    const badPause = await connectErrorOf(
      client.updateJob({
        job: { id, pauseAfterFailures: 5000 },
        updateMask: { paths: ["pause_after_failures"] },
      }),
    );
    expect(badPause.rawMessage).toMatch(/^job\.pause_after_failures: /);

    const cleared = (
      await client.updateJob({
        job: { id },
        updateMask: { paths: ["pause_after_failures", "remaining_runs"] },
      })
    ).job!;
    expect(cleared).toMatchObject({ pauseAfterFailures: 0, grantedRuns: 0 });
    expect(cleared.remainingRuns).toBeUndefined();

    // REST: the same fields in JSON, the same errors.
    const rest = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${app.apiUrl}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const made = await rest("POST", "/v1/jobs", {
      name: "rest",
      owner: "ops",
      schedule: { interval: "1h" },
      target: { noop: {} },
      pauseAfterFailures: 2,
      remainingRuns: 4,
    });
    expect(made.status).toBe(200);
    expect(made.json.job).toMatchObject({
      pauseAfterFailures: 2,
      remainingRuns: 4,
      grantedRuns: 4,
    });
    const restJob = made.json.job as { id: string };
    const patched = await rest("PATCH", `/v1/jobs/${restJob.id}?update_mask=remaining_runs`, {
      remainingRuns: 7,
    });
    expect(patched.json.job).toMatchObject({ remainingRuns: 7, grantedRuns: 7 });
    const restBad = await rest("POST", "/v1/jobs", {
      name: "rest",
      owner: "ops",
      schedule: { interval: "1h" },
      target: { noop: {} },
      pauseAfterFailures: 1001,
    });
    expect(restBad.status).toBe(400);
    expect(restBad.json).toMatchObject({ code: "invalid_argument" });
    expect(String(restBad.json.message)).toMatch(/^pause_after_failures: /);
  });
});
