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
import { makeJob } from "../../support/jobs.js";

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

  it("with a backlog in the queue, leaves a claimed run unsent for one more start timeout, then sends it, and again as its age doubles", async () => {
    const s = setup();
    // A run sent at its time that no worker takes: the queue has a backlog from then on.
    const waiting = makeJob(1, {
      nextRunMs: T0 + 1_000,
      schedule: { kind: "once", at: T0 + 1_000 },
    });
    await s.jobs.createJob({ ...waiting, partition: 0 });
    const at = T0 + 5_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    // Another scheduler claimed it, then died before sending it.
    const due = (await s.jobs.dueJobs(0, at, 10)).find((j) => j.id === job.id);
    expect(
      await s.jobs.claimRuns([
        { job: due!, nextRunMs: undefined, recoverAtMs: at + START_TIMEOUT },
      ]),
    ).toEqual([true]);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 2_000);
    expect(await s.sent()).toBe(1);

    // Past its deadline it may be waiting behind the backlog: not sent twice yet.
    await s.until(at + 2 * START_TIMEOUT - 1);
    expect(await s.sent()).toBe(1);
    // A start timeout later it is taken for lost, backlog or not; so is the
    // run that no worker took (sent again beside its first send).
    await s.until(at + 2 * START_TIMEOUT + SWEEP);
    expect(await s.sent()).toBe(3);
    // The backlog stays: the next copies come when the runs' ages have
    // doubled (sent again at 65 s and 69 s of age), not a start timeout on.
    await s.until(T0 + 130_000);
    expect(await s.sent()).toBe(3);
    await s.until(T0 + 150_000);
    const runs = (await s.queue.receive(10, 0)).map((d) => d.run.jobId);
    expect(runs.sort()).toEqual([job.id, job.id, waiting.id, waiting.id, waiting.id].sort());
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
});
