import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { OutgoingRun } from "../../../src/core/ports/work-queue.js";
import { createDispatcher } from "../../../src/scheduler/dispatcher.js";
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

/** A dispatcher on a fake clock whose queue fails its first `failures` sends. */
function setup(failures: number) {
  const clock = fakeClock(T);
  const sendsAt: number[] = [];
  const counts = { sent: 0, failed: 0 };
  const dispatcher = createDispatcher({
    queue: {
      async send() {
        sendsAt.push(clock.now());
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
  return { clock, dispatcher, sendsAt, counts };
}

/** Releases the held run: its send starts at once (the timer is due now). */
async function release(s: ReturnType<typeof setup>): Promise<void> {
  s.dispatcher.hold([run]);
  await s.clock.tick(0);
  await vi.waitFor(() => expect(s.sendsAt.length).toBeGreaterThan(0));
}

describe("dispatcher sends (fake clock)", () => {
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
