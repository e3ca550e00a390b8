import pino from "pino";
import { describe, expect, it } from "vitest";
import type { WorkflowRuns } from "../../../src/core/workflow/runs.js";
import type { RunContext } from "../../../src/worker/handlers/handler.js";
import { createWorkflowHandler } from "../../../src/worker/handlers/workflow.js";
import { fakeClock } from "../../support/fake-clock.js";

const T = 1_800_000_000_000;

/** Workflow runs whose start fails its first `failures` calls. */
function runs(clock: ReturnType<typeof fakeClock>, failures: number) {
  const startsAt: number[] = [];
  const fake = {
    async start() {
      startsAt.push(clock.now() - T);
      if (startsAt.length <= failures) throw new Error(`store down (${startsAt.length})`);
      return true;
    },
  } as unknown as WorkflowRuns;
  return { fake, startsAt };
}

function context(signal: AbortSignal): RunContext {
  return {
    executionId: `job_t:${T}:1`,
    jobId: "job_t",
    scheduledMs: T,
    attempt: 1,
    signal,
    logger: pino({ level: "silent" }),
  };
}

describe("workflow handler: starting the run (fake clock)", () => {
  it("retries a failed start 0.4 s, then 0.8 s later", async () => {
    const clock = fakeClock(T);
    const { fake, startsAt } = runs(clock, 2);
    const result = createWorkflowHandler(fake, clock).run(
      { type: "workflow", workflowId: "wf_a" },
      context(new AbortController().signal),
    );
    await clock.tick(5_000);
    expect((await result).ok).toBe(true);
    expect(startsAt).toEqual([0, 400, 1200]);
  });

  it("gives up after four tries with the start's error", async () => {
    const clock = fakeClock(T);
    const { fake, startsAt } = runs(clock, 100);
    const result = createWorkflowHandler(fake, clock).run(
      { type: "workflow", workflowId: "wf_a" },
      context(new AbortController().signal),
    );
    await clock.tick(60_000);
    expect(await result).toEqual({ ok: false, summary: expect.stringContaining("store down (4)") });
    expect(startsAt).toEqual([0, 400, 1200, 2800]);
  });

  it("an abort while waiting to retry ends at once, reporting the start's failure", async () => {
    const clock = fakeClock(T);
    const { fake, startsAt } = runs(clock, 100);
    const stop = new AbortController();
    const result = createWorkflowHandler(fake, clock).run(
      { type: "workflow", workflowId: "wf_a" },
      context(stop.signal),
    );
    await clock.tick(100);
    stop.abort(new Error("worker stopping"));
    expect(await result).toEqual({ ok: false, summary: expect.stringContaining("store down (1)") });
    await clock.tick(60_000);
    expect(startsAt).toEqual([0]);
  });
});
