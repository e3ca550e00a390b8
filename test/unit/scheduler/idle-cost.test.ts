/**
 * What an idle partition costs on the fake clock: no index read between its
 * backstops, a read when a wake or a known next run asks for it, a sweep when
 * a known recovery deadline passes, and the takeover of a partition whose
 * owner left (swept at once, its claimed runs sent again or held).
 */

import { describe, expect, it } from "vitest";
import { SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import {
  LOOKAHEAD,
  START_TIMEOUT,
  SWEEP,
  schedulerOnFakeClock,
  T0,
} from "../../support/fake-scheduler.js";

const POLL_BACKSTOP = 120_000;
const SWEEP_BACKSTOP = 300_000;
const setup = () =>
  schedulerOnFakeClock({ pollBackstopMs: POLL_BACKSTOP, sweepBackstopMs: SWEEP_BACKSTOP });

describe("idle cost", () => {
  it("reads and sweeps an idle partition once when gained, then only at its backstops", async () => {
    const s = setup();
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 1);
    // Gained: read once, swept once (recover index and re-queued attempts).
    expect(s.queries).toEqual({ due: 1, pending: 1, queued: 1 });
    await s.until(T0 + POLL_BACKSTOP - 1);
    expect(s.queries).toEqual({ due: 1, pending: 1, queued: 1 });
    await s.until(T0 + POLL_BACKSTOP);
    expect(s.queries.due).toBe(2);
    await s.until(T0 + SWEEP_BACKSTOP - 1);
    expect(s.queries).toEqual({ due: 3, pending: 1, queued: 1 });
    await s.until(T0 + SWEEP_BACKSTOP);
    expect(s.queries).toEqual({ due: 3, pending: 2, queued: 2 });
  });

  it("knows a partition's next run beyond the window: no read until it enters the look-ahead", async () => {
    const s = schedulerOnFakeClock({ pollBackstopMs: 6 * 3_600_000, sweepBackstopMs: 600_000 });
    const at = T0 + 3 * 3_600_000;
    const job = s.once(at);
    await s.jobs.createJob(job);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 1);
    expect(s.queries.due).toBe(1);
    await s.until(at - LOOKAHEAD - 1);
    expect(s.queries.due).toBe(1);
    expect(await s.claimed(job)).toBe(false);
    await s.until(at + SEND_GATHER_MS);
    expect(await s.claimed(job)).toBe(true);
    expect(await s.sent()).toBe(1);
  });

  it("reads at once for a wake, and the woken run is sent at its time", async () => {
    const s = setup();
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 1_000);
    const job = s.once(T0 + 2_000);
    await s.jobs.createJob(job);
    expect(s.queries.due).toBe(1);
    s.scheduler.wake(0, job.nextRunMs!);
    await s.until(T0 + 1_001);
    expect(s.queries.due).toBe(2);
    await s.until(T0 + 2_000 + SEND_GATHER_MS);
    expect(await s.sent()).toBe(1);
  });

  it("sweeps when a deadline of its own claims passes, not before", async () => {
    const s = setup();
    const at = T0 + 20_000;
    await s.jobs.createJob(s.once(at));
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(at + SEND_GATHER_MS);
    expect(await s.sent()).toBe(1);
    // The message is lost: nothing starts it.
    for (const d of await s.queue.receive(10, 0)) await s.queue.ack(d);
    expect(s.queries.pending).toBe(1);
    // The claim's deadline (its time + start timeout, rounded up to the sweep interval).
    const deadline = Math.ceil((at + START_TIMEOUT) / SWEEP) * SWEEP;
    await s.until(deadline - 1);
    expect(s.queries.pending).toBe(1);
    await s.until(deadline);
    expect(s.queries.pending).toBe(2);
    // Sent again by that sweep (the first read it, not yet overdue, without a write).
    await s.until(deadline + SEND_GATHER_MS);
    expect(await s.sent()).toBe(1);
  });

  it("takes over from a node that left: sweeps at once, sends its due claimed runs again and holds the later ones", async () => {
    const s = setup();
    const due = s.once(T0 + 2_000);
    const later = s.once(T0 + 8_000);
    await s.jobs.createJob(due);
    await s.jobs.createJob(later);
    // Another node claimed both (its look-ahead), sent nothing, and was killed.
    const read = await s.jobs.dueJobs(0, T0 + 10_000, 10);
    const claims = read.map((job) => ({
      job,
      nextRunMs: undefined,
      recoverAtMs: job.nextRunMs + START_TIMEOUT,
    }));
    expect(await s.jobs.claimRuns(claims)).toEqual([true, true]);
    await s.until(T0 + 4_000);
    s.scheduler.setPartitions([{ partition: 0, takeover: true }]);
    await s.until(T0 + 4_001 + SEND_GATHER_MS);
    const [first] = await s.queue.receive(10, 0);
    expect(first?.run).toMatchObject({ jobId: due.id, scheduledMs: T0 + 2_000, attempt: 1 });
    expect(s.scheduler.held).toBe(1);
    await s.until(T0 + 7_999);
    expect(await s.sent()).toBe(0);
    await s.until(T0 + 8_000 + SEND_GATHER_MS);
    const [second] = await s.queue.receive(10, 0);
    expect(second?.run).toMatchObject({ jobId: later.id, scheduledMs: T0 + 8_000, attempt: 1 });
  });

  it("a partition gained at cluster start (no takeover) leaves claimed runs to their deadline", async () => {
    const s = setup();
    await s.jobs.createJob(s.once(T0 + 2_000));
    const [job] = await s.jobs.dueJobs(0, T0 + 10_000, 10);
    await s.jobs.claimRuns([
      { job: job!, nextRunMs: undefined, recoverAtMs: job!.nextRunMs + START_TIMEOUT },
    ]);
    await s.until(T0 + 4_000);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(T0 + 2_000 + START_TIMEOUT - 1);
    expect(await s.sent()).toBe(0);
    // Its deadline was read by the first sweep: swept then, not at the backstop.
    await s.until(T0 + 2_000 + START_TIMEOUT + SWEEP);
    expect(await s.sent()).toBe(1);
  });
});
