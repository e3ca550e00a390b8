/**
 * What a claimed run's message carries for its start, so that the start
 * reads no job: `claimed` (a stop records the run CANCELLED), and whether
 * the job was failing as the claim's write found it, for a job without
 * `pause_after_failures`. A job with it gets no such mark: its start reads
 * the job (`docs/failure-policies.md`, "What it costs per fire").
 */

import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { SEND_GATHER_MS } from "../../../src/scheduler/dispatcher.js";
import { schedulerOnFakeClock, T0 } from "../../support/fake-scheduler.js";

describe("a claimed run's message", () => {
  it("carries whether the claim found its job failing, unless the job may be paused by its failures", async () => {
    const s = schedulerOnFakeClock({ pollBackstopMs: 120_000, sweepBackstopMs: 300_000 });
    const at = T0 + 1_000;
    const healthy = s.once(at);
    const failing = s.once(at);
    const policy = { ...s.once(at), pauseAfterFailures: 3 };
    for (const job of [healthy, failing, policy]) await s.jobs.createJob(job);
    await s.jobs.countFailure(DEFAULT_TENANT, failing.id, `${failing.id}:0:1`);
    s.scheduler.setPartitions([{ partition: 0 }]);
    await s.until(at + SEND_GATHER_MS);
    const received = await s.queue.receive(10, 0);
    const byJob = new Map(received.map((d) => [d.run.jobId, d]));
    expect(byJob.get(healthy.id)).toMatchObject({ claimed: true, failing: false });
    expect(byJob.get(failing.id)).toMatchObject({ claimed: true, failing: true });
    expect(byJob.get(policy.id)?.claimed).toBe(true);
    expect(byJob.get(policy.id)?.failing).toBeUndefined();
  });
});
