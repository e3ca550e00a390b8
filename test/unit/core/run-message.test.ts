import { describe, expect, it } from "vitest";
import type { RunRef } from "../../../src/core/execution.js";
import type { Job } from "../../../src/core/job.js";
import {
  carriedBy,
  jobCarries,
  type RunCarries,
  runMessageFor,
} from "../../../src/core/run-message.js";

const RUN: RunRef = {
  tenant: "acme",
  jobId: "job_01hx0000000000000000000000",
  partition: 7,
  scheduledMs: 1_000,
  attempt: 1,
  manual: false,
};
const TARGET: Job["target"] = { type: "noop", sleepMs: 0 };

describe("runMessageFor: the one builder of a run's queue message", () => {
  it("carries the run alone when the sender knows nothing more", () => {
    expect(runMessageFor(RUN)).toEqual(RUN);
  });

  it("takes only the run's own fields, never the rest of the object it is given", () => {
    const execution = { ...RUN, id: "x", status: "QUEUED", workerId: "w" } as RunRef;
    expect(runMessageFor(execution)).toEqual(RUN);
  });

  it("leaves out what is unset, empty or zero, so every sender's message has one shape", () => {
    const message = runMessageFor(RUN, {
      target: TARGET,
      notify: false,
      delayMs: 0,
      workflowId: "",
    });
    expect(message).toEqual({ ...RUN, target: TARGET });
    expect(Object.keys(message)).not.toContain("delayMs");
  });

  it("carries a delay, a workflow, limits, a priority, the notify flag and a trace when set", () => {
    const carries: RunCarries = {
      target: TARGET,
      limits: { overlap: "ALLOW", maxConcurrent: 2 },
      priority: "HIGH",
      notify: true,
      workflowId: "wf_1",
      delayMs: 1_500,
      trace: { traceparent: "00-abc-def-01" },
    };
    expect(runMessageFor(RUN, carries)).toEqual({ ...RUN, ...carries });
  });
});

describe("jobCarries and carriedBy: what a sender knows of the job", () => {
  it("a job read by the sender gives its target, limits, priority and whether it notifies", () => {
    const limits = { overlap: "SKIP" as const };
    expect(
      jobCarries({
        target: TARGET,
        limits,
        priority: "LOW",
        notifications: [{ kind: "webhook", url: "https://example.com/h" } as never],
      }),
    ).toEqual({ target: TARGET, limits, priority: "LOW", notify: true });
  });

  it("a job without a priority, or gone, goes to MEDIUM's queue", () => {
    expect(jobCarries({ target: TARGET })).toEqual({ target: TARGET, priority: "MEDIUM" });
    expect(jobCarries(undefined)).toEqual({ priority: "MEDIUM" });
  });

  it("a re-send keeps the delivery's queue and notify flag, not its trace", () => {
    expect(
      carriedBy({ priority: "HIGH", notify: true, trace: { traceparent: "t" } } as never),
    ).toEqual({ priority: "HIGH", notify: true });
    expect(carriedBy({})).toEqual({});
  });
});
