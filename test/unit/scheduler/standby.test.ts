/**
 * The standby of HIGH runs on the fake clock, with the memory adapters: a
 * node that stands by for a partition (owning none of it here, so that the
 * test plays the owner) checks each HIGH run `hedgeMs` after its time, and
 * claims it when nobody did, sends it again when it was claimed and not
 * started, and otherwise leaves it alone.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import type { Job } from "../../../src/core/job.js";
import { SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import { checkAt, standbyAction } from "../../../src/scheduler/standby-plan.js";
import { schedulerOnFakeClock, T0 } from "../../support/fake-scheduler.js";
import { makeJob } from "../../support/jobs.js";

const HEDGE = 400;
const AT = T0 + 5_000;

const high = (overrides: Partial<Job> = {}) =>
  makeJob(1, {
    nextRunMs: AT,
    schedule: { kind: "once", at: AT },
    priority: "HIGH",
    createdMs: T0,
    updatedMs: T0,
    ...overrides,
  });

/** Attempt 1 of the job's run at AT: what the owner sends. */
const firstAttempt = (job: Job) => ({
  tenant: DEFAULT_TENANT,
  jobId: job.id,
  partition: 0,
  scheduledMs: AT,
  attempt: 1,
  manual: false,
});

/** A node standing by for partition 0, owning nothing. */
async function standby(job: Job) {
  const s = schedulerOnFakeClock({ standbyHedgeMs: HEDGE });
  await s.jobs.createJob(job);
  s.scheduler.setStandby([0]);
  await s.until(T0 + 1);
  const counted = async (action: string) =>
    (await s.metrics.standby.get()).values.find((v) => v.labels.action === action)?.value ?? 0;
  const highQueue = async () => (await s.queue.depth("HIGH")).visible;
  /** The owner's claim of the job's run (what its pass would write). */
  const ownerClaims = async () => {
    const [due] = await s.jobs.dueJobs(0, AT, 10, "HIGH");
    expect(
      await s.jobs.claimRuns([{ job: due!, nextRunMs: undefined, recoverAtMs: AT + 30_000 }]),
    ).toEqual([true]);
  };
  return { ...s, counted, highQueue, ownerClaims };
}

describe("the standby of HIGH runs", () => {
  it("claims and sends a HIGH run its owner never claimed, once, hedgeMs after its time", async () => {
    const job = high();
    const s = await standby(job);
    await s.until(AT + HEDGE - 1);
    expect(await s.highQueue()).toBe(0);
    await s.until(AT + HEDGE + SEND_GATHER_MS);
    expect(await s.highQueue()).toBe(1);
    expect(await s.claimed(job)).toBe(true);
    expect(await s.counted("claimed")).toBe(1);
    // The owner, late, loses its claim: the run is claimed once.
    const [due] = await s.jobs.dueJobs(0, AT, 10, "HIGH");
    expect(due).toBeUndefined();
    await s.until(AT + 10_000);
    expect(await s.highQueue()).toBe(1);
  });

  it("sends again a HIGH run its owner claimed and never sent", async () => {
    const job = high();
    const s = await standby(job);
    await s.ownerClaims();
    await s.until(AT + HEDGE + SEND_GATHER_MS);
    const [delivered] = await s.queue.receive(10, 0, undefined, "HIGH");
    expect(delivered?.run).toMatchObject({ jobId: job.id, scheduledMs: AT, attempt: 1 });
    expect(await s.counted("sent")).toBe(1);
    expect(await s.counted("claimed")).toBe(0);
  });

  it("leaves alone a HIGH run a worker started", async () => {
    const job = high();
    const s = await standby(job);
    await s.ownerClaims();
    expect(await s.executions.startExecution(firstAttempt(job), "w1", AT + 10)).toBe("started");
    await s.until(AT + 10_000);
    expect(await s.highQueue()).toBe(0);
    expect(await s.counted("checked")).toBe(1);
    expect(await s.counted("sent")).toBe(0);
  });

  it("withholds the second message while the HIGH queue has runs waiting", async () => {
    const job = high();
    const s = await standby(job);
    await s.ownerClaims();
    // The owner's message is there, not yet taken by a worker.
    await s.queue.send([{ ...firstAttempt(job), priority: "HIGH" }]);
    await s.until(AT + 10_000);
    expect(await s.highQueue()).toBe(1);
    expect(await s.counted("withheld")).toBe(1);
  });

  it("checks a withheld run again a hedge later, and sends it once the HIGH queue has drained", async () => {
    const job = high();
    const s = await standby(job);
    await s.ownerClaims();
    // A round sent ahead waits in the HIGH queue at the check.
    await s.queue.send([{ ...firstAttempt(job), scheduledMs: AT + 1_000, priority: "HIGH" }]);
    await s.until(AT + HEDGE + SEND_GATHER_MS);
    expect(await s.counted("withheld")).toBe(1);
    expect(await s.counted("sent")).toBe(0);
    // A worker takes the queued message; the run at AT is still not started.
    expect(await s.queue.receive(10, 0, undefined, "HIGH")).toHaveLength(1);
    await s.until(AT + 2 * HEDGE + SEND_GATHER_MS);
    expect(await s.counted("sent")).toBe(1);
    expect(await s.counted("withheld")).toBe(1);
    const [again] = await s.queue.receive(10, 0, undefined, "HIGH");
    expect(again?.run).toMatchObject({ jobId: job.id, scheduledMs: AT, attempt: 1 });
  });

  it("sends a run it sent once more a hedge later, when a worker took that message and died before starting it", async () => {
    const job = high();
    const s = await standby(job);
    await s.ownerClaims();
    await s.until(AT + HEDGE + SEND_GATHER_MS);
    expect(await s.counted("sent")).toBe(1);
    // A worker takes the standby's message and dies holding it: the run never starts.
    expect(await s.queue.receive(10, 0, undefined, "HIGH")).toHaveLength(1);
    await s.until(AT + 2 * HEDGE + SEND_GATHER_MS);
    expect(await s.counted("sent")).toBe(2);
    const [again] = await s.queue.receive(10, 0, undefined, "HIGH");
    expect(again?.run).toMatchObject({ jobId: job.id, scheduledMs: AT, attempt: 1 });
    // Twice at most: the recovery sweep has the run after that.
    await s.until(AT + 10_000);
    expect(await s.counted("sent")).toBe(2);
    expect(await s.highQueue()).toBe(0);
  });

  it("checks a run it sent once more, and sends nothing when a worker started it", async () => {
    const job = high();
    const s = await standby(job);
    await s.ownerClaims();
    await s.until(AT + HEDGE + SEND_GATHER_MS);
    expect(await s.executions.startExecution(firstAttempt(job), "w1", AT + 500)).toBe("started");
    await s.until(AT + 10_000);
    expect(await s.counted("sent")).toBe(1);
    expect(await s.counted("checked")).toBe(2);
  });

  it("sends nothing for a job paused before its run was claimed", async () => {
    const job = high();
    const s = await standby(job);
    await s.jobs.updateJob(
      DEFAULT_TENANT,
      job.id,
      { status: "PAUSED", nextRunMs: null },
      {},
      T0 + 2,
    );
    await s.until(AT + 10_000);
    expect(await s.highQueue()).toBe(0);
    expect(await s.claimed(job)).toBe(false);
  });

  it("follows a recurring job from its schedule, and claims each run its owner misses", async () => {
    const job = high({
      schedule: { kind: "interval", source: "1s", periodMs: 1_000, anchorMs: AT },
    });
    const s = await standby(job);
    await s.until(AT + 3_000 + HEDGE + SEND_GATHER_MS);
    const runs = await s.queue.receive(10, 0, undefined, "HIGH");
    expect(runs.map((d) => d.run.scheduledMs).sort()).toEqual([
      AT,
      AT + 1_000,
      AT + 2_000,
      AT + 3_000,
    ]);
    expect(await s.counted("claimed")).toBe(4);
  });

  it("waits for a run with a flexible window until its window is over (its owner plans it anywhere in it)", async () => {
    const job = high({ schedule: { kind: "once", at: AT, flexibleWindowMs: 5_000 } });
    const s = await standby(job);
    await s.ownerClaims();
    await s.until(AT + 5_000 + HEDGE - 1);
    expect(await s.highQueue()).toBe(0);
    expect(await s.counted("checked")).toBe(0);
    await s.until(AT + 5_000 + HEDGE + SEND_GATHER_MS);
    expect(await s.counted("sent")).toBe(1);
    expect(checkAt({ jobId: "j", scheduledMs: AT, windowMs: 5_000 }, HEDGE)).toBe(
      AT + 5_000 + HEDGE,
    );
  });

  it("checks the runs due at one time in several partitions with one read, and acts on each partition's own", async () => {
    const s = schedulerOnFakeClock({ standbyHedgeMs: HEDGE });
    const jobs = [0, 1, 2].map((partition) => high({ partition }));
    for (const job of jobs) await s.jobs.createJob(job);
    const reads: number[] = [];
    const startedRuns = s.executions.startedRuns.bind(s.executions);
    s.executions.startedRuns = (runs, options) => {
      reads.push(runs.length);
      // 400 ms after a run's time a start may be a moment old: read consistently.
      expect(options?.consistent ?? true).toBe(true);
      return startedRuns(runs, options);
    };
    s.scheduler.setStandby([0, 1, 2]);
    await s.until(T0 + 1);
    // Every owner claimed its run; workers started the first two.
    for (const partition of [0, 1, 2]) {
      const [due] = await s.jobs.dueJobs(partition, AT, 10, "HIGH");
      await s.jobs.claimRuns([{ job: due!, nextRunMs: undefined, recoverAtMs: AT + 30_000 }]);
    }
    for (const job of jobs.slice(0, 2)) {
      const run = { ...firstAttempt(job), partition: job.partition };
      expect(await s.executions.startExecution(run, "w1", AT + 10)).toBe("started");
    }
    await s.until(AT + HEDGE + SEND_GATHER_MS);
    expect(reads).toEqual([3]);
    const [again] = await s.queue.receive(10, 0, undefined, "HIGH");
    expect(again?.run).toMatchObject({ jobId: jobs[2]!.id, partition: 2, attempt: 1 });
    expect((await s.metrics.standby.get()).values.map((v) => [v.labels.action, v.value])).toEqual(
      expect.arrayContaining([
        ["checked", 3],
        ["sent", 1],
      ]),
    );
  });

  it("decides from what the store says: started, claimed, or still the job's next run", () => {
    const run = { jobId: "j", scheduledMs: AT };
    const seen = (o: Partial<Parameters<typeof standbyAction>[1]>) => ({
      started: false,
      claimed: false,
      indexedAtMs: undefined,
      ...o,
    });
    const calm = { highBacklog: false };
    expect(standbyAction(run, seen({ started: true, claimed: true }), calm)).toBe("done");
    expect(standbyAction(run, seen({ claimed: true }), calm)).toBe("send");
    expect(standbyAction(run, seen({ claimed: true }), { highBacklog: true })).toBe("withhold");
    expect(standbyAction(run, seen({ indexedAtMs: AT }), calm)).toBe("claim");
    expect(standbyAction(run, seen({ indexedAtMs: AT + 1_000 }), calm)).toBe("gone");
    expect(standbyAction(run, seen({}), calm)).toBe("gone");
  });
});
