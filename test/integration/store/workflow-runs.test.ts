import { describe, expect, it } from "vitest";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { newJobId } from "../../../src/core/ids.js";
import { partitionOf } from "../../../src/core/partition.js";
import type { Delivery } from "../../../src/core/ports/work-queue.js";
import { createWorkflowRuns } from "../../../src/core/workflow/runs.js";
import { newWorkflowId, type Workflow } from "../../../src/core/workflow/workflow.js";
import { testConfig, testStores } from "../../support/app.js";
import { fakeClock } from "../../support/fake-clock.js";

const START_TIMEOUT = 5000;

/** Everything the queue holds now, acknowledged. */
async function drain(stores: Awaited<ReturnType<typeof testStores>>): Promise<Delivery[]> {
  const all: Delivery[] = [];
  for (;;) {
    const got = await stores.queue.receive(10, 1000);
    if (got.length === 0) return all;
    all.push(...got);
    await Promise.all(got.map((d) => stores.queue.ack(d)));
  }
}

describe("workflow runs in the store: idempotent start, one winner per join", () => {
  it("starts a run once, queues a diamond's join once, and ends it", async () => {
    const config = testConfig("wf-runs");
    const stores = await testStores(config);
    const { workflows } = createAdapters(config);
    const clock = fakeClock(Date.now());
    const parts = config.store.partitions;
    const runs = createWorkflowRuns({
      workflows,
      queue: stores.queue,
      clock,
      startTimeoutMs: START_TIMEOUT,
      partitionOf: (id) => partitionOf(id, parts),
    });
    const ids = Object.fromEntries(["a", "b", "c", "d"].map((k) => [k, newJobId(clock.now())]));
    const wf: Workflow = {
      id: newWorkflowId(clock.now()),
      tenant: DEFAULT_TENANT,
      name: "diamond",
      owner: "tests",
      tags: [],
      schedule: { kind: "once", at: clock.now() },
      status: "ACTIVE",
      triggerJobId: newJobId(clock.now()),
      createdMs: clock.now(),
      nodes: [
        { key: "a", dependsOn: [] },
        { key: "b", dependsOn: ["a"] },
        { key: "c", dependsOn: ["a"] },
        { key: "d", dependsOn: ["b", "c"] },
      ].map((n) => ({
        ...n,
        name: n.key,
        target: { type: "noop", sleepMs: 0 },
        jobId: ids[n.key]!,
      })),
    };
    await workflows.createWorkflow(wf);
    const ms = clock.now();
    const finished = (key: string, status: "SUCCEEDED" | "FAILED" = "SUCCEEDED") =>
      runs.onNodeFinished({ workflowId: wf.id, jobId: ids[key]!, scheduledMs: ms, status });
    const sentKeys = (ds: Delivery[]) =>
      ds.map((d) => wf.nodes.find((n) => n.jobId === d.run.jobId)!.key).sort();

    // A redelivered trigger racing the first: one run, the root queued once.
    await Promise.all([runs.start(wf.id, ms), runs.start(wf.id, ms)]);
    const roots = await drain(stores);
    expect(sentKeys(roots)).toEqual(["a"]);
    expect(roots[0]!.workflowId).toBe(wf.id);
    expect(roots[0]!.target).toEqual({ type: "noop", sleepMs: 0 });
    const a = await stores.executions.getExecution(DEFAULT_TENANT, `${ids.a}:${ms}:1`);
    expect(a?.status).toBe("QUEUED");

    // The same outcome reported twice (a redelivery) queues b and c once.
    await Promise.all([finished("a"), finished("a")]);
    expect(sentKeys(await drain(stores))).toEqual(["b", "c"]);

    // Both upstreams of the join at once: exactly one queues d.
    await Promise.all([finished("b"), finished("c")]);
    expect(sentKeys(await drain(stores))).toEqual(["d"]);
    let run = await workflows.getRun(DEFAULT_TENANT, wf.id, ms);
    expect(run?.status).toBe("RUNNING");
    expect(run?.nodes.map((n) => n.status)).toEqual([
      "SUCCEEDED",
      "SUCCEEDED",
      "SUCCEEDED",
      "QUEUED",
    ]);

    // d's QUEUED execution carries a recheck time: the recovery sweep would resend it.
    const dPart = partitionOf(ids.d!, parts);
    const queued = await stores.executions.queuedAttempts(dPart, 0, ms + START_TIMEOUT, 100);
    expect(queued.items.map((q) => q.run.jobId)).toContain(ids.d);

    await finished("d");
    run = await workflows.getRun(DEFAULT_TENANT, wf.id, ms);
    expect(run?.status).toBe("SUCCEEDED");
    expect(run?.endedMs).toBeDefined();
  });
});
