import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import type { Execution } from "../../../src/core/execution.js";
import type { Job } from "../../../src/core/job.js";
import type { JobStore } from "../../../src/core/ports/job-store.js";
import type { Notifier } from "../../../src/notify/notifier.js";
import { createOutcomeNotifications } from "../../../src/notify/outcome.js";
import { makeJob } from "../../support/jobs.js";

const execution: Execution = {
  id: "job_x:1:1",
  tenant: DEFAULT_TENANT,
  jobId: "job_x",
  partition: 0,
  scheduledMs: 1,
  attempt: 1,
  manual: false,
  status: "SUCCEEDED",
};

function setup(stored: Job | undefined) {
  const reads: string[] = [];
  const sent: Array<[string, string]> = [];
  const jobs = {
    getJob: async (_tenant: string, id: string) => {
      reads.push(id);
      return stored;
    },
  } as unknown as JobStore;
  const notifier: Notifier = {
    notify: async (event, job) => {
      sent.push([event, job.id]);
    },
  };
  const outcome = createOutcomeNotifications({
    jobs,
    notifier,
    logger: pino({ level: "silent" }),
  });
  return { outcome, reads, sent };
}

const withTargets = makeJob(8, {
  notifications: [{ kind: "webhook", events: ["succeeded"], url: "http://x.example", headers: {} }],
});

describe("the worker's call after an outcome", () => {
  it("reads nothing for a run whose claim carried no notify flag (the hot path)", async () => {
    const { outcome, reads, sent } = setup(withTargets);
    await outcome.afterOutcome("succeeded", {}, execution);
    expect(reads).toEqual([]);
    expect(sent).toEqual([]);
  });

  it("reads the job once when the claim flagged notifications", async () => {
    const { outcome, reads, sent } = setup(withTargets);
    await outcome.afterOutcome("succeeded", { notify: true }, execution);
    expect(reads).toEqual(["job_x"]);
    expect(sent).toEqual([["succeeded", withTargets.id]]);
  });

  it("uses a job the worker already read (a resent run) without reading again", async () => {
    const { outcome, reads, sent } = setup(undefined);
    await outcome.afterOutcome("dead", { job: withTargets }, execution);
    await outcome.afterOutcome("failed", { job: makeJob(8) }, execution);
    expect(reads).toEqual([]);
    expect(sent).toEqual([["dead", withTargets.id]]);
  });

  it("never rejects, even when the store fails", async () => {
    const { outcome } = setup(undefined);
    const broken = createOutcomeNotifications({
      jobs: { getJob: () => Promise.reject(new Error("down")) } as unknown as JobStore,
      notifier: { notify: async () => {} },
      logger: pino({ level: "silent" }),
    });
    await expect(
      broken.afterOutcome("failed", { notify: true }, execution),
    ).resolves.toBeUndefined();
    await outcome.drain();
  });
});
