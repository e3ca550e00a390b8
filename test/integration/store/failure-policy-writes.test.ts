/**
 * What failure policies and run limits cost per fire, counted on DynamoDB
 * Local with the SDK middleware that the cost figures use (item writes, and
 * request units estimated from what is sent and read): a claim that spends
 * `remaining_runs` is the one write a claim is anyway; a success of a job
 * that is not failing adds no call; a failed run adds one job-item write, the
 * first success after failures one more; the pause adds PauseJob's read and
 * write. docs/failure-policies.md quotes these.
 */

import pino from "pino";
import { describe, expect, it } from "vitest";
import { CapacityCounter } from "../../../src/adapters/dynamodb/capacity-counter.js";
import { WriteCounter } from "../../../src/adapters/dynamodb/write-counter.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { systemClock } from "../../../src/core/clock.js";
import { type Execution, executionId, type StartReads } from "../../../src/core/execution.js";
import type { DueJob } from "../../../src/core/ports/job-store.js";
import { spendRuns } from "../../../src/core/run-budget.js";
import { failureStreak } from "../../../src/worker/failure-streak.js";
import { testConfig } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";

const MIN = 60_000;
const logger = pino({ enabled: false });

describe("the cost of failure policies and run limits per fire", () => {
  it("counts the store calls of each step", async () => {
    const config = testConfig("policy-writes");
    const writes = new WriteCounter();
    const capacity = new CapacityCounter();
    const { jobs, executions } = createAdapters(config, {
      writeCounter: writes,
      capacityCounter: capacity,
    });
    await jobs.init();
    /** Item writes, write units and read units of `step`. */
    async function cost(step: () => Promise<unknown>) {
      const units = () =>
        [...capacity.snapshot().values()].reduce(
          (sum, u) => ({ write: sum.write + u.write, read: sum.read + u.read }),
          { write: 0, read: 0 },
        );
      const [w0, u0] = [writes.count, units()];
      await step();
      const u1 = units();
      return { writes: writes.count - w0, wru: u1.write - u0.write, rru: u1.read - u0.read };
    }

    const now = Math.floor(Date.now() / MIN) * MIN;
    const schedule = { kind: "interval", source: "1m", periodMs: MIN, anchorMs: now } as const;
    const plain = makeJob(config.store.partitions, { schedule, nextRunMs: now });
    const limited = makeJob(config.store.partitions, {
      schedule,
      nextRunMs: now,
      pauseAfterFailures: 2,
      remainingRuns: 5,
      grantedRuns: 5,
      notifications: [],
    });
    await jobs.createJob(plain);
    await jobs.createJob(limited);
    const due = async (id: string) =>
      (await jobs.dueJobs(plain.partition, now, 100))
        .concat(await jobs.dueJobs(limited.partition, now, 100))
        .find((d) => d.id === id) as DueJob;

    // The claim: one write, with or without remaining_runs.
    const claimOf = (d: DueJob) => {
      const spent = spendRuns([d.nextRunMs], d.remainingRuns);
      return {
        job: d,
        nextRunMs: d.nextRunMs + MIN,
        recoverAtMs: d.nextRunMs + 5000,
        ...(spent.left === undefined ? {} : { remainingRuns: spent.left }),
      };
    };
    const duePlain = await due(plain.id);
    const plainClaim = await cost(() => jobs.claimRuns([claimOf(duePlain)]));
    const dueLimited = await due(limited.id);
    const limitedClaim = await cost(() => jobs.claimRuns([claimOf(dueLimited)]));
    expect(limitedClaim).toEqual(plainClaim);
    expect(limitedClaim.writes).toBe(1);
    expect((await jobs.getJob(DEFAULT_TENANT, limited.id))?.remainingRuns).toBe(4);

    // The start reads the failing mark with the read it makes anyway.
    const run = (ms: number) => ({
      tenant: DEFAULT_TENANT,
      jobId: limited.id,
      partition: limited.partition,
      scheduledMs: ms,
      attempt: 1,
      manual: false,
    });
    const reads: StartReads = {};
    const start = await cost(() =>
      executions.startExecution(run(now), "w-1", Date.now(), 0, reads),
    );
    expect(start.writes).toBe(1);
    expect(reads.failing).toBe(false);

    const streak = failureStreak({ jobs, clock: systemClock });
    const execution = (ms: number, status: Execution["status"]): Execution => ({
      ...run(ms),
      id: executionId(run(ms)),
      status,
      error: "HTTP 500",
    });
    // A success of a job that is not failing: nothing.
    const healthy = await cost(() =>
      streak.afterFinal("succeeded", execution(now, "SUCCEEDED"), false, logger),
    );
    expect(healthy).toEqual({ writes: 0, wru: 0, rru: 0 });
    // A failed run: one job-item write.
    const failed = await cost(() =>
      streak.afterFinal("failed", execution(now + MIN, "FAILED"), false, logger),
    );
    expect(failed).toMatchObject({ writes: 1, rru: 0 });
    // The first success after it: one more.
    const recovered = await cost(() =>
      streak.afterFinal("succeeded", execution(now + 2 * MIN, "SUCCEEDED"), true, logger),
    );
    expect(recovered).toMatchObject({ writes: 1, rru: 0 });
    // Two failures in a row: the second pauses (PauseJob's read and write besides the count).
    await streak.afterFinal("failed", execution(now + 3 * MIN, "FAILED"), false, logger);
    const pausing = await cost(() =>
      streak.afterFinal("failed", execution(now + 4 * MIN, "DEAD"), true, logger),
    );
    expect(pausing).toMatchObject({ writes: 2, rru: 1 });
    const paused = await jobs.getJob(DEFAULT_TENANT, limited.id);
    expect(paused?.status).toBe("PAUSED");
    expect(paused?.pauses?.at(-1)?.by).toBe("system:pause-after-failures");
  });
});
