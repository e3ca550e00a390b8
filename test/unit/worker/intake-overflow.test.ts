/**
 * The intake keeps a receive's runs beyond its room, up to
 * `MESSAGE_OVERFLOW` more (a message's runs come together), and refuses
 * the next; HIGH runs keep their reserve beyond that.
 */
import { describe, expect, it } from "vitest";
import type { Delivery } from "../../../src/core/ports/work-queue.js";
import { createIntake, MESSAGE_OVERFLOW } from "../../../src/worker/intake.js";
import { silentLogger } from "../../support/app.js";
import { fakeClock } from "../../support/fake-clock.js";
import { makeRun } from "../../support/jobs.js";

function delivery(i: number, priority: Delivery["priority"] = "MEDIUM"): Delivery {
  return { run: makeRun("acme", i), receiveCount: 1, sentMs: 0, handle: `h${i}`, priority };
}

describe("the intake beyond its room", () => {
  it("keeps up to MESSAGE_OVERFLOW runs beyond its capacity, then refuses; HIGH has its reserve beyond", () => {
    const clock = fakeClock(1_000_000);
    const intake = createIntake({
      queue: { extendAll: async () => [] },
      concurrency: 4,
      buffer: 2,
      running: () => 0,
      room: () => 0,
      blocked: () => false,
      start: () => {},
      overflow: () => {},
      canStart: () => true,
      visibilityTimeoutS: 30,
      clock,
      logger: silentLogger,
    });
    const capacity = 4 + 2;
    const kept = Array.from({ length: capacity + MESSAGE_OVERFLOW }, (_, i) => delivery(i));
    expect(kept.map((d) => intake.offer(d)).every(Boolean)).toBe(true);
    expect(intake.offer(delivery(100))).toBe(false);
    // The HIGH reserve (a quarter of the concurrency, 1) is still there.
    expect(intake.offer(delivery(101, "HIGH"))).toBe(true);
    expect(intake.offer(delivery(102, "HIGH"))).toBe(false);
    intake.close();
  });
});
