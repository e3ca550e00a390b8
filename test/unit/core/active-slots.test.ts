import { describe, expect, it } from "vitest";
import { retryAborted, slotChange, slotOnCreate } from "../../../src/core/active-slots.js";
import { aborted, failedPrecondition } from "../../../src/core/errors.js";
import type { Job, Schedule } from "../../../src/core/job.js";
import type { TenantStore } from "../../../src/core/ports/tenant-store.js";
import { activeUntil, NO_END_MS } from "../../../src/core/tenant-quota.js";
import { fakeClock } from "../../support/fake-clock.js";

const deps = {
  tenants: {} as TenantStore,
  defaults: { maxActiveSchedules: 10, maxFiresPerMinute: 0, maxConcurrentRuns: 0 },
  claimAheadMs: 0,
};
const cron: Schedule = { kind: "cron", source: "0 0 1 1 *", timeZone: "UTC" };
const once: Schedule = { kind: "once", at: 5000 };

function job(over: Partial<Job>): Job {
  return { status: "ACTIVE", schedule: cron, ...over } as Job;
}

describe("active-schedule slots: which job states hold one", () => {
  it("an ACTIVE job created takes one, until its end; node jobs and paused jobs do not", () => {
    expect(slotOnCreate(job({ nextRunMs: 100 }), deps)).toEqual({
      kind: "take",
      defaultLimit: 10,
      untilMs: NO_END_MS,
    });
    expect(slotOnCreate(job({ workflowId: "wf_x" }), deps)).toBeUndefined();
    expect(slotOnCreate(job({ status: "PAUSED" }), deps)).toBeUndefined();
    expect(slotOnCreate(job({}), undefined)).toBeUndefined();
  });

  it("a one-time job may finish at its run; a bounded schedule at its end", () => {
    expect(activeUntil(once, 5000)).toBe(5000);
    expect(activeUntil({ ...cron, endMs: 9000 }, 100)).toBe(9000);
    expect(activeUntil(cron, 100)).toBe(NO_END_MS);
  });

  it("a job with remaining_runs may finish at any claim: from its next run on", () => {
    expect(activeUntil(cron, 100, 3)).toBe(100);
    expect(activeUntil({ ...cron, endMs: 50 }, 100, 3)).toBe(50);
    const limited = job({ holdsSlot: true, nextRunMs: 100 });
    const next = { status: "ACTIVE" as const, schedule: cron, nextRunMs: 100, remainingRuns: 4 };
    expect(slotChange(limited, next, true, deps)).toEqual({ kind: "keep", untilMs: 100 });
  });

  it("pausing or cancelling gives the slot back; resuming takes one; a reschedule keeps it", () => {
    const holding = job({ holdsSlot: true });
    const stop = { schedule: cron, nextRunMs: undefined };
    expect(slotChange(holding, { ...stop, status: "PAUSED" }, false, deps)).toEqual({
      kind: "free",
    });
    expect(slotChange(holding, { ...stop, status: "CANCELLED" }, false, deps)).toEqual({
      kind: "free",
    });
    expect(slotChange(holding, { ...stop, status: "FINISHED" }, true, deps)).toEqual({
      kind: "free",
    });
    expect(
      slotChange(holding, { status: "ACTIVE", schedule: once, nextRunMs: 5000 }, true, deps),
    ).toEqual({ kind: "keep", untilMs: 5000 });
    expect(
      slotChange(holding, { status: "ACTIVE", schedule: cron, nextRunMs: 1 }, false, deps),
    ).toBeUndefined();
    const paused = job({ status: "PAUSED" });
    expect(
      slotChange(paused, { status: "ACTIVE", schedule: cron, nextRunMs: 1 }, false, deps),
    ).toEqual({ kind: "take", defaultLimit: 10, untilMs: NO_END_MS });
  });

  it("leaves alone a job ACTIVE from before quotas (no slot), and workflow node jobs", () => {
    const legacy = job({});
    expect(
      slotChange(legacy, { status: "ACTIVE", schedule: cron, nextRunMs: 1 }, true, deps),
    ).toBeUndefined();
    expect(
      slotChange(legacy, { status: "PAUSED", schedule: cron, nextRunMs: undefined }, false, deps),
    ).toBeUndefined();
    const node = job({ status: "PAUSED", workflowId: "wf_x" });
    expect(
      slotChange(node, { status: "ACTIVE", schedule: once, nextRunMs: 1 }, false, deps),
    ).toBeUndefined();
  });
});

describe("retryAborted: a change that loses to a concurrent one", () => {
  it("runs again at once, up to 5 tries in all, while it is aborted", async () => {
    const clock = fakeClock(0);
    let tries = 0;
    const won = await retryAborted(clock, async () => {
      if (++tries < 5) throw aborted("job j changed");
      return "written";
    });
    expect(won).toBe("written");
    expect(tries).toBe(5);
    expect(clock.now()).toBe(0);

    tries = 0;
    const lost = retryAborted(clock, async () => {
      tries++;
      throw aborted("job j changed");
    });
    await expect(lost).rejects.toThrow("job j changed");
    expect(tries).toBe(5);
  });

  it("throws any other error at the first try", async () => {
    let tries = 0;
    const refused = retryAborted(fakeClock(0), async () => {
      tries++;
      throw failedPrecondition("job j is CANCELLED");
    });
    await expect(refused).rejects.toThrow("CANCELLED");
    expect(tries).toBe(1);
  });
});
