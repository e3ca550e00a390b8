/**
 * The recovery sweep and a job that fires less often than the start timeout,
 * on the fake clock with the in-memory adapters: once its run started, the
 * sweep leaves its record unwritten (`recordMayStay`), the next claim
 * replaces the passed deadline and the record's runs (`recordReplaceable`),
 * and the partition's mark (written every
 * `MARK_EVERY_MS` while records are left) lets a new owner's first sweep
 * start past them.
 */

import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import type { Job } from "../../../src/core/job.js";
import { SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import { MARK_EVERY_MS } from "../../../src/scheduler/sweep-step.js";
import {
  START_TIMEOUT,
  SWEEP,
  schedulerOnFakeClock as setup,
  T0,
} from "../../support/fake-scheduler.js";
import { makeJob } from "../../support/jobs.js";

const HOUR = 3_600_000;

function hourly(at: number): Job {
  return makeJob(1, {
    nextRunMs: at,
    schedule: { kind: "interval", source: "1h", periodMs: HOUR, anchorMs: at },
    createdMs: T0,
    updatedMs: T0,
  });
}

function harness() {
  const s = setup();
  const settles: number[] = [];
  const settleRuns = s.jobs.settleRuns.bind(s.jobs);
  s.jobs.settleRuns = (settlement) => {
    settles.push(s.clock.now());
    return settleRuns(settlement);
  };
  const sweptFrom: number[] = [];
  const pendingRuns = s.jobs.pendingRuns.bind(s.jobs);
  s.jobs.pendingRuns = (partition, fromMs, ...rest) => {
    sweptFrom.push(fromMs);
    return pendingRuns(partition, fromMs, ...rest);
  };
  /** Takes the run sent at `at` off the queue; starts it unless `lost`. */
  const deliver = async (at: number, lost = false) => {
    await s.until(at + SEND_GATHER_MS);
    const [delivery] = await s.queue.receive(10, 0);
    expect(delivery?.run.scheduledMs).toBe(at);
    if (!lost) {
      const run = { ...delivery!.run, tenant: DEFAULT_TENANT };
      expect(await s.executions.startExecution(run, "w1", s.clock.now())).toBe("started");
    }
    await s.queue.ack(delivery!);
  };
  const left = async () => (await s.metrics.recordsLeft.get()).values[0]?.value ?? 0;
  return { ...s, settles, sweptFrom, deliver, left };
}

/** The harness with an hourly job first due at `at`, its partition owned. */
async function ownedHourly() {
  const s = harness();
  const at = T0 + 5_000;
  const job = hourly(at);
  await s.jobs.createJob(job);
  s.scheduler.setPartitions([{ partition: 0 }]);
  return { s, at, job };
}

describe("records the sweep leaves unwritten", () => {
  it("an hourly job's started run costs the sweep no write; the next claim replaces the deadline, and its run, lost, is sent again", async () => {
    const { s, at, job } = await ownedHourly();
    await s.deliver(at);
    await s.until(at + START_TIMEOUT + 3 * SWEEP);
    expect(s.settles).toEqual([]);
    expect(await s.left()).toBe(1);

    // The next run's message is lost: a start timeout on, the sweep sends it again.
    await s.deliver(at + HOUR, true);
    expect(await s.sent()).toBe(0);
    await s.until(at + HOUR + START_TIMEOUT + 2 * SWEEP);
    const [again] = await s.queue.receive(10, 0);
    expect(again?.run).toMatchObject({ scheduledMs: at + HOUR, attempt: 1 });
    // That sweep wrote: the started run out, the resent one watched.
    expect(s.settles).toHaveLength(1);
    expect((await s.jobs.claimedRuns(job.id))?.scheduled).toEqual([at + HOUR]);
  });

  it("the next claim replaces a record the sweep left: an hourly job's record holds one run, never pruned by a write", async () => {
    const { s, at, job } = await ownedHourly();
    // Past the record's prune point (RECORD_PRUNE_AT runs): six runs, all started.
    for (let k = 0; k < 6; k++) {
      await s.deliver(at + k * HOUR);
      expect((await s.jobs.claimedRuns(job.id))?.scheduled).toEqual([at + k * HOUR]);
      await s.until(at + k * HOUR + START_TIMEOUT + 3 * SWEEP);
    }
    expect(s.settles).toEqual([]);
    expect(await s.left()).toBe(6);
  });

  it("a new owner adds to a record whose deadline came before its first sweep: it cannot know the runs were checked", async () => {
    const { s, at, job } = await ownedHourly();
    await s.deliver(at);
    await s.until(at + START_TIMEOUT + 3 * SWEEP);
    expect(s.settles).toEqual([]);
    // Given up and gained again just before the next run: its first sweep
    // begins after the left deadline (a start timeout before the mark).
    await s.until(at + HOUR - 20_000);
    s.scheduler.setPartitions([]);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.deliver(at + HOUR);
    expect((await s.jobs.claimedRuns(job.id))?.scheduled).toEqual([at, at + HOUR]);
    // The next sweep checks both and leaves them; the claim after replaces them.
    await s.until(at + HOUR + START_TIMEOUT + 3 * SWEEP);
    expect(await s.left()).toBe(2);
    await s.deliver(at + 2 * HOUR);
    expect((await s.jobs.claimedRuns(job.id))?.scheduled).toEqual([at + 2 * HOUR]);
  });

  it("records the partition's mark once records are left, and a new owner's first sweep starts from it", async () => {
    const { s, at } = await ownedHourly();
    // The first sweep after the gain looks back over the recovery horizon (an hour here).
    await s.until(T0 + 1);
    expect(s.sweptFrom[0]).toBe(T0 - HOUR);
    await s.deliver(at);
    // The record is left; the mark is written a mark's interval after the gain.
    await s.until(at + START_TIMEOUT + 3 * SWEEP);
    expect(await s.left()).toBe(1);
    expect(await s.jobs.sweptTo(0)).toBeUndefined();
    await s.until(T0 + MARK_EVERY_MS + 2 * SWEEP);
    const mark = await s.jobs.sweptTo(0);
    expect(mark).toBeGreaterThanOrEqual(T0 + MARK_EVERY_MS);

    // Given up and gained again, as by a new owner: its first sweep starts a start
    // timeout before the mark, not an hour back.
    s.scheduler.setPartitions([]);
    s.sweptFrom.length = 0;
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(s.clock.now() + 1);
    expect(s.sweptFrom[0]).toBe(mark! - START_TIMEOUT);
  });
});
