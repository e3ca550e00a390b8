/**
 * The scheduler's timing on the fake clock with the in-memory adapters: when
 * a run is claimed (look-ahead), when it is sent (its time, not before), how
 * a wake shortens the wait for a poll, and when the recovery sweep sends a
 * run that was claimed but never sent (after the start timeout).
 */

import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import {
  LOOKAHEAD,
  START_TIMEOUT,
  SWEEP,
  schedulerOnFakeClock as setup,
  T0,
} from "../../support/fake-scheduler.js";

describe("scheduler timing on a fake clock", () => {
  it("claims a run when it enters the look-ahead and sends it at its time, not before", async () => {
    const s = setup();
    const at = T0 + 60_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    s.scheduler.setPartitions([{ partition: 0 }]);

    await s.until(at - LOOKAHEAD - 1);
    expect(await s.claimed(job)).toBe(false);
    // Claimed early enough (at least 0.9 look-ahead ahead), held, not sent.
    await s.until(at - LOOKAHEAD * 0.9);
    expect(await s.claimed(job)).toBe(true);
    expect(s.scheduler.held).toBe(1);
    await s.until(at - 1);
    expect(await s.sent()).toBe(0);
    // Sent at its time plus the gather window at most (runs due just after it share the request).
    await s.until(at + SEND_GATHER_MS);
    expect(await s.sent()).toBe(1);
    expect(s.scheduler.held).toBe(0);
    const [delivery] = await s.queue.receive(10, 0);
    expect(delivery?.run).toMatchObject({ jobId: job.id, scheduledMs: at, attempt: 1 });
  });

  it("finds a job created between polls at the next poll", async () => {
    const s = setup({ pollIntervalMs: 5_000 });
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 1_000);
    const job = s.once(T0 + 2_000);
    await s.jobs.createJob(job);
    // Due within the look-ahead, but nothing reads the index before the next poll.
    await s.until(T0 + 4_999);
    expect(await s.claimed(job)).toBe(false);
    await s.until(T0 + 5_000);
    expect(await s.claimed(job)).toBe(true);
    expect(await s.sent()).toBe(1);
  });

  it("polls early for a wake: a run created between long polls is still sent at its time", async () => {
    const s = setup({ pollIntervalMs: 60_000 });
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 1_000);
    const woken = s.once(T0 + 20_000);
    const unwoken = s.once(T0 + 20_000);
    await s.jobs.createJob(woken);
    s.scheduler.wake(0, woken.nextRunMs!);
    await s.until(T0 + 20_000 - LOOKAHEAD - 1);
    expect(await s.claimed(woken)).toBe(false);
    await s.until(T0 + 20_000 + SEND_GATHER_MS);
    expect(await s.claimed(woken)).toBe(true);
    expect(await s.sent()).toBe(1);

    // Without a wake, a job created now waits for the next poll (T0 + 60 s after the last read).
    await s.jobs.createJob(unwoken);
    await s.until(T0 + 50_000);
    expect(await s.claimed(unwoken)).toBe(false);
    await s.until(T0 + 80_000);
    expect(await s.claimed(unwoken)).toBe(true);
  });

  it("sends a run claimed but never sent once its start timeout passed, at the next sweep", async () => {
    const s = setup();
    const at = T0 + 5_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    // Another scheduler claimed it, then died before sending it.
    const [due] = await s.jobs.dueJobs(0, at, 10);
    expect(
      await s.jobs.claimRuns([
        { job: due!, nextRunMs: undefined, recoverAtMs: at + START_TIMEOUT },
      ]),
    ).toEqual([true]);
    s.scheduler.setPartitions([{ partition: 0 }]);

    await s.until(at + START_TIMEOUT - 1);
    expect(await s.sent()).toBe(0);
    await s.until(at + START_TIMEOUT + SWEEP);
    expect(await s.sent()).toBe(1);
    const [delivery] = await s.queue.receive(10, 0);
    expect(delivery?.run).toMatchObject({ jobId: job.id, scheduledMs: at });
  });

  it("does not send again a claimed run that a worker started", async () => {
    const s = setup();
    const at = T0 + 5_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(at + SEND_GATHER_MS);
    const [delivery] = await s.queue.receive(10, 0);
    expect(
      await s.executions.startExecution({ ...delivery!.run, tenant: DEFAULT_TENANT }, "w1", at),
    ).toBe("started");
    await s.queue.ack(delivery!);
    await s.until(at + START_TIMEOUT + 3 * SWEEP);
    expect(await s.queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("reads whether claimed runs started with the cheaper, eventually consistent read once their deadline passed", async () => {
    const s = setup();
    const at = T0 + 5_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    const reads: Array<{ atMs: number; runs: number; consistent: boolean | undefined }> = [];
    const startedRuns = s.executions.startedRuns.bind(s.executions);
    s.executions.startedRuns = (runs, options) => {
      reads.push({ atMs: s.clock.now(), runs: runs.length, consistent: options?.consistent });
      return startedRuns(runs, options);
    };
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(at + START_TIMEOUT + 3 * SWEEP);
    // The first sweep after the gain reads ahead, consistently; the run's deadline, eventually.
    expect(reads[0]?.consistent).toBe(true);
    const atDeadline = reads.filter((r) => r.atMs >= at + START_TIMEOUT && r.runs > 0);
    expect(atDeadline.length).toBeGreaterThan(0);
    expect(atDeadline.every((r) => r.consistent === false)).toBe(true);
  });
});
