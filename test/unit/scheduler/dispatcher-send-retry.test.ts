import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { OutgoingRun } from "../../../src/core/ports/work-queue.js";
import { createDispatcher, SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import { fakeClock } from "../../support/fake-clock.js";

const T = 1_800_000_000_000;
const run: OutgoingRun = {
  tenant: "t",
  jobId: "job_a",
  partition: 0,
  scheduledMs: T,
  attempt: 1,
  manual: false,
};

/**
 * A dispatcher on a fake clock whose queue fails its first `failures` sends
 * (no gather window unless given, so that a due run goes at once; "default":
 * the dispatcher's own, from the send-ahead).
 */
function setup(failures: number, gatherMs: number | "default" = 0, aheadMs?: number) {
  const clock = fakeClock(T);
  const sendsAt: number[] = [];
  const batches: OutgoingRun[][] = [];
  const counts = { sent: 0, failed: 0 };
  const dispatcher = createDispatcher({
    ...(gatherMs === "default" ? {} : { gatherMs }),
    ...(aheadMs === undefined ? {} : { aheadMs }),
    queue: {
      async send(runs) {
        sendsAt.push(clock.now());
        batches.push(runs);
        if (sendsAt.length <= failures) throw new Error("SQS down");
      },
    },
    clock,
    metrics: {
      fireLateness: { observe: () => {} },
      sent: { inc: (n) => (counts.sent += n) },
      sendFailures: { inc: () => counts.failed++ },
    },
    logger: pino({ level: "silent" }),
  });
  return { clock, dispatcher, sendsAt, batches, counts };
}

/** Releases the held run: its send starts at once (the timer is due now). */
async function release(s: ReturnType<typeof setup>): Promise<void> {
  s.dispatcher.hold([run]);
  await s.clock.tick(0);
  await vi.waitFor(() => expect(s.sendsAt.length).toBeGreaterThan(0));
}

describe("dispatcher sends (fake clock)", () => {
  it("sends runs due within the gather window in one request, never before the first is due", async () => {
    const s = setup(0, SEND_GATHER_MS);
    const at = (ms: number) => ({ ...run, jobId: `job_${ms}`, scheduledMs: T + ms });
    s.dispatcher.hold([at(10), at(10 + SEND_GATHER_MS - 1), at(10 + SEND_GATHER_MS + 1)]);
    await s.clock.tick(10 + SEND_GATHER_MS - 1);
    expect(s.sendsAt).toEqual([]);
    await s.clock.tick(1);
    await vi.waitFor(() => expect(s.sendsAt).toHaveLength(1));
    expect(s.batches[0]!.map((r) => r.scheduledMs)).toEqual([T + 10, T + 10 + SEND_GATHER_MS - 1]);
    await s.clock.tick(SEND_GATHER_MS + 1);
    await vi.waitFor(() => expect(s.sendsAt).toHaveLength(2));
    expect(s.sendsAt).toEqual([T + 10 + SEND_GATHER_MS, T + 11 + 2 * SEND_GATHER_MS]);
  });

  it("with a send-ahead, sends runs ahead of their time in rounds that fill a batch", async () => {
    // 500 ms ahead, gathering half of it: a run is sent 250-500 ms before its time.
    const s = setup(0, "default", 500);
    const at = (ms: number) => ({ ...run, jobId: `job_${ms}`, scheduledMs: T + ms });
    // Thirty runs 10 ms apart, from 1 s on (100 a second).
    s.dispatcher.hold(Array.from({ length: 30 }, (_, i) => at(1_000 + 10 * i)));
    await s.clock.tick(749);
    expect(s.sendsAt).toEqual([]);
    await s.clock.tick(1);
    await vi.waitFor(() => expect(s.sendsAt).toHaveLength(1));
    // The first run's round: every run whose send-ahead began by then (due by 1,250 ms).
    expect(s.batches[0]!.map((r) => r.scheduledMs - T)).toEqual(
      Array.from({ length: 26 }, (_, i) => 1_000 + 10 * i),
    );
    await s.clock.tick(1_000);
    await vi.waitFor(() => expect(s.sendsAt).toHaveLength(2));
    expect(s.sendsAt.map((t) => t - T)).toEqual([750, 1_010]);
    // Every run went out at least 250 ms before its time.
    for (const [i, batch] of s.batches.entries()) {
      for (const r of batch) expect(r.scheduledMs - s.sendsAt[i]!).toBeGreaterThanOrEqual(250);
    }
  });

  it("with a send-ahead, sends a run claimed inside it at once", async () => {
    const s = setup(0, "default", 500);
    s.dispatcher.hold([{ ...run, scheduledMs: T + 100 }]);
    await s.clock.tick(0);
    await vi.waitFor(() => expect(s.sendsAt).toEqual([T]));
  });

  it("retries a failed send 0.2 s, then 0.4 s later, and counts each failure", async () => {
    const s = setup(2);
    await release(s);
    await s.clock.tick(199);
    expect(s.sendsAt).toEqual([T]);
    await s.clock.tick(1);
    expect(s.sendsAt).toEqual([T, T + 200]);
    await s.clock.tick(400);
    expect(s.sendsAt).toEqual([T, T + 200, T + 600]);
    expect(s.counts).toEqual({ sent: 1, failed: 2 });
  });

  it("gives up after five tries (the recovery sweep resends)", async () => {
    const s = setup(100);
    await release(s);
    await s.clock.tick(60_000);
    expect(s.sendsAt.map((t) => t - T)).toEqual([0, 200, 600, 1400, 3000]);
    expect(s.counts).toEqual({ sent: 0, failed: 5 });
    expect(s.clock.pending()).toBe(0);
  });

  it("once closed, the send waiting to retry tries once more and is not retried again", async () => {
    const s = setup(100);
    await release(s);
    const closed = s.dispatcher.close();
    await s.clock.tick(60_000);
    await closed;
    expect(s.sendsAt.map((t) => t - T)).toEqual([0, 200]);
    expect(s.counts.failed).toBe(2);
  });
});
