import { DEFAULT_TENANT } from "../../src/core/caller.js";
import type { RunRef } from "../../src/core/execution.js";
import { newJobId } from "../../src/core/ids.js";
import type { Job } from "../../src/core/job.js";
import { partitionOf } from "../../src/core/partition.js";

/** An interval schedule of one minute, from the epoch: a recurring job's schedule in the store's tests. */
export const EVERY_MINUTE = {
  kind: "interval",
  source: "1m",
  periodMs: 60_000,
  anchorMs: 0,
} as const;

/** A stored-job value for tests below the API: a noop job, ACTIVE, due at `nextRunMs`. */
export function makeJob(partitions: number, overrides: Partial<Job> = {}): Job {
  const now = Date.now();
  const id = overrides.id ?? newJobId(now);
  return {
    id,
    tenant: DEFAULT_TENANT,
    name: "test job",
    schedule: { kind: "once", at: overrides.nextRunMs ?? now },
    target: { type: "noop", sleepMs: 0 },
    status: "ACTIVE",
    tags: [],
    owner: "tests",
    version: 1,
    partition: partitionOf(id, partitions),
    nextRunMs: now,
    createdMs: now,
    updatedMs: now,
    ...overrides,
  };
}

/** A run of a made-up job, for tests of what counts runs. */
export function makeRun(tenant: string, scheduledMs: number, attempt = 1): RunRef {
  return {
    tenant,
    jobId: "job_aaaaaaaaaaaaaaaaaaaaaaaaaa",
    partition: 0,
    scheduledMs,
    attempt,
    manual: false,
  };
}
