import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { recoveryDeadline } from "../../../src/core/claim-rules.js";
import type { Job } from "../../../src/core/job.js";
import { createSchedulerMetrics } from "../../../src/scheduler/metrics.js";
import { createRecovery } from "../../../src/scheduler/recovery.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { fakeClock } from "../../support/fake-clock.js";
import { makeJob } from "../../support/jobs.js";

const START_TIMEOUT = 5000;
const LOOKAHEAD = 1000;

async function setup(label: string) {
  const config = testConfig(label);
  const stores = await testStores(config);
  const clock = fakeClock(Date.now());
  const metrics = createSchedulerMetrics(new Registry());
  const recovery = createRecovery({
    jobs: stores.jobs,
    executions: stores.executions,
    queue: stores.queue,
    clock,
    metrics,
    logger: silentLogger,
    startTimeoutMs: START_TIMEOUT,
    lookaheadMs: LOOKAHEAD,
  });
  /** chronoring_oldest_unstarted_run_age_seconds as the last sweep left it. */
  const oldestUnstarted = async () => (await metrics.oldestUnstarted.get()).values[0]?.value;
  return { stores, clock, recovery, oldestUnstarted };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** An interval job every `periodMs` (whole seconds), its first run (this second) claimed. */
async function claimedInterval({ stores, clock }: Setup, periodMs: number) {
  const job = makeJob(8, {
    schedule: { kind: "interval", source: `${periodMs / 1000}s`, periodMs, anchorMs: 0 },
    nextRunMs: Math.floor(clock.now() / 1000) * 1000,
  });
  await stores.jobs.createJob(job);
  const [due] = await stores.jobs.dueJobs(job.partition, clock.now(), 10);
  await stores.jobs.claimRuns([
    {
      job: due!,
      nextRunMs: due!.nextRunMs + periodMs,
      recoverAtMs: due!.nextRunMs + START_TIMEOUT,
    },
  ]);
  return { job, due: due! };
}

/** The first attempt of `job`'s scheduled run at `scheduledMs`. */
function firstAttempt(job: Job, scheduledMs: number) {
  return {
    tenant: DEFAULT_TENANT,
    jobId: job.id,
    partition: job.partition,
    scheduledMs,
    attempt: 1,
    manual: false,
  };
}

describe("recovery sweep", () => {
  it("sends again a run that was claimed but never sent (the scheduler died in between), and reports its age until it starts", async () => {
    const { stores, clock, recovery, oldestUnstarted } = await setup("recover-unsent");
    const job = makeJob(8, { nextRunMs: clock.now() });
    await stores.jobs.createJob(job);
    const [due] = await stores.jobs.dueJobs(job.partition, clock.now(), 10);
    // The claim is the last thing the dead scheduler did.
    expect(
      await stores.jobs.claimRuns([
        { job: due!, nextRunMs: undefined, recoverAtMs: due!.nextRunMs + START_TIMEOUT },
      ]),
    ).toEqual([true]);

    // Before the bound nothing is sent, and nothing is overdue.
    let { cursor } = await recovery.sweep(job.partition, clock.now() - 60_000);
    expect(await stores.queue.receive(10, 1000)).toEqual([]);
    expect(await oldestUnstarted()).toBe(0);

    clock.advance(START_TIMEOUT + 1);
    ({ cursor } = await recovery.sweep(job.partition, cursor));
    expect(await oldestUnstarted()).toBe((clock.now() - due!.nextRunMs) / 1000);
    const [delivery] = await stores.queue.receive(10, 2000);
    expect(delivery?.run).toEqual({
      tenant: DEFAULT_TENANT,
      jobId: job.id,
      partition: job.partition,
      scheduledMs: due!.nextRunMs,
      attempt: 1,
      manual: false,
    });

    // A worker starts it: the next sweep finds the run started and sends nothing.
    expect(
      await stores.executions.startExecution(
        { tenant: DEFAULT_TENANT, ...delivery!.run },
        "w1",
        clock.now(),
      ),
    ).toBe("started");
    await stores.queue.ack(delivery!);
    clock.advance(START_TIMEOUT + 1);
    await recovery.sweep(job.partition, cursor);
    expect(await stores.queue.receive(10, 1000)).toEqual([]);
    expect(await oldestUnstarted()).toBe(0);
  });

  it("does not send a run that a worker already started, and stops looking at a finished job", async () => {
    const { stores, clock, recovery } = await setup("recover-started");
    const job = makeJob(8, { nextRunMs: clock.now() });
    await stores.jobs.createJob(job);
    const [due] = await stores.jobs.dueJobs(job.partition, clock.now(), 10);
    await stores.jobs.claimRuns([
      { job: due!, nextRunMs: undefined, recoverAtMs: due!.nextRunMs + START_TIMEOUT },
    ]);
    const run = {
      tenant: DEFAULT_TENANT,
      jobId: job.id,
      partition: job.partition,
      scheduledMs: due!.nextRunMs,
      attempt: 1,
      manual: false,
    };
    expect(await stores.executions.startExecution(run, "w1", clock.now())).toBe("started");
    clock.advance(START_TIMEOUT + 1);
    const writes = stores.writes.count;
    const { cursor } = await recovery.sweep(job.partition, clock.now() - 60_000);
    expect(await stores.queue.receive(10, 1000)).toEqual([]);
    // A finished job whose runs all started costs the sweep no write.
    expect(stores.writes.count).toBe(writes);
    expect(cursor).toBe(clock.now());
  });

  it("sends a lost message of a recurring job again and keeps the job under watch", async () => {
    const s = await setup("recover-recurring");
    const { stores, clock, recovery } = s;
    const { job, due } = await claimedInterval(s, 1000);
    clock.advance(START_TIMEOUT + 1000);
    await recovery.sweep(job.partition, clock.now() - 60_000);
    const deliveries = await stores.queue.receive(10, 2000);
    expect(deliveries.map((d) => d.run.scheduledMs)).toEqual([due.nextRunMs]);
    const [pending] = (await stores.jobs.pendingRuns(job.partition, 0, clock.now() + 60_000, 10))
      .items;
    expect(pending?.recoverAtMs).toBe(clock.now() + START_TIMEOUT);
  });

  it("leaves the record of an hourly job whose run started unwritten; the next claim replaces its deadline, and that run, never started, is sent again", async () => {
    const { stores, clock, recovery } = await setup("recover-hourly");
    const HOUR = 3_600_000;
    const job = makeJob(8, {
      schedule: { kind: "interval", source: "1h", periodMs: HOUR, anchorMs: 0 },
      nextRunMs: clock.now(),
    });
    await stores.jobs.createJob(job);
    const claimNext = async () => {
      const [due] = await stores.jobs.dueJobs(job.partition, clock.now() + LOOKAHEAD, 10);
      // As the scheduler's claim computes it (`claim-due.ts`).
      const recoverAtMs = recoveryDeadline({
        pendingMs: due!.recoverAtMs,
        ownMs: due!.nextRunMs + START_TIMEOUT,
        nowMs: clock.now(),
        startTimeoutMs: START_TIMEOUT,
      });
      const claim = { job: due!, nextRunMs: due!.nextRunMs + HOUR, recoverAtMs };
      expect(await stores.jobs.claimRuns([claim])).toEqual([true]);
      return due!.nextRunMs;
    };
    const first = await claimNext();
    expect(
      await stores.executions.startExecution(firstAttempt(job, first), "w1", clock.now()),
    ).toBe("started");

    // Its next claim is an hour away: the sweep reads, and writes nothing.
    clock.advance(START_TIMEOUT + 1);
    const writes = stores.writes.count;
    let { cursor } = await recovery.sweep(job.partition, clock.now() - 60_000);
    expect(stores.writes.count).toBe(writes);
    expect(cursor).toBe(clock.now());
    const left = await stores.jobs.pendingRuns(job.partition, 0, clock.now(), 10);
    expect(left.items.map((p) => [p.jobId, p.recoverAtMs, p.scheduled])).toEqual([
      [job.id, first + START_TIMEOUT, [first]],
    ]);

    // The next claim, an hour on, replaces the passed deadline with its own; the run it
    // claimed is never started (its message lost): the sweep sends it again.
    clock.set(first + HOUR - LOOKAHEAD);
    const second = await claimNext();
    expect(second).toBe(first + HOUR);
    clock.set(second + START_TIMEOUT + 1);
    ({ cursor } = await recovery.sweep(job.partition, cursor));
    const deliveries = await stores.queue.receive(10, 2000);
    expect(deliveries.map((d) => d.run)).toEqual([firstAttempt(job, second)]);
    // The started run leaves the record with that write; the resent one is watched.
    const [pending] = (await stores.jobs.pendingRuns(job.partition, 0, clock.now() + HOUR, 10))
      .items;
    expect(pending).toMatchObject({
      scheduled: [second],
      recoverAtMs: clock.now() + START_TIMEOUT,
    });
  });

  it("writes the record of a job claimed again within a start timeout, whose runs all started", async () => {
    const s = await setup("recover-often");
    const { stores, clock, recovery } = s;
    const { job, due } = await claimedInterval(s, 5000);
    await stores.executions.startExecution(firstAttempt(job, due.nextRunMs), "w1", clock.now());
    clock.set(due.nextRunMs + START_TIMEOUT + 1);
    await recovery.sweep(job.partition, clock.now() - 60_000);
    // Cleared: a claim in the next start timeout would keep a deadline left behind.
    const page = await stores.jobs.pendingRuns(job.partition, 0, clock.now() + 60_000, 10);
    expect(page.items.map((p) => p.jobId)).not.toContain(job.id);
  });

  it("a redelivered message does not start the same execution twice", async () => {
    const { stores, clock } = await setup("duplicate-start");
    const job = makeJob(8);
    await stores.jobs.createJob(job);
    const run = {
      tenant: DEFAULT_TENANT,
      jobId: job.id,
      partition: job.partition,
      scheduledMs: job.nextRunMs!,
      attempt: 1,
      manual: false,
    };
    const outcomes = await Promise.all([
      stores.executions.startExecution(run, "w1", clock.now()),
      stores.executions.startExecution(run, "w2", clock.now()),
    ]);
    expect(outcomes.sort()).toEqual(["duplicate", "started"]);
  });

  it("does not start a run of a cancelled job, nor a scheduled run of a paused one", async () => {
    const { stores, clock } = await setup("inactive-start");
    const paused = makeJob(8, { status: "PAUSED", nextRunMs: undefined });
    const cancelled = makeJob(8, { status: "CANCELLED", nextRunMs: undefined });
    await stores.jobs.createJob(paused);
    await stores.jobs.createJob(cancelled);
    // A manual run at another instant: a refused attempt stays recorded (CANCELLED).
    const run = (id: string, manual: boolean) => ({
      tenant: DEFAULT_TENANT,
      jobId: id,
      partition: 0,
      scheduledMs: clock.now() + (manual ? 1 : 0),
      attempt: 1,
      manual,
    });
    expect(await stores.executions.startExecution(run(paused.id, false), "w", clock.now())).toBe(
      "job_inactive",
    );
    expect(await stores.executions.startExecution(run(paused.id, true), "w", clock.now())).toBe(
      "started",
    );
    expect(await stores.executions.startExecution(run(cancelled.id, true), "w", clock.now())).toBe(
      "job_inactive",
    );
  });
});
