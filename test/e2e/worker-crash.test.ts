import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { executionId } from "../../src/core/execution.js";
import { testStores } from "../support/app.js";
import { jobClient } from "../support/client.js";
import { e2eCluster } from "../support/processes.js";
import { sideEffects } from "../support/side-effects.js";
import { waitFor } from "../support/wait.js";

const VISIBILITY_TIMEOUT_S = 5;

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("worker crash (real processes, SIGKILL)", () => {
  const cluster = e2eCluster("worker-crash", {
    VISIBILITY_TIMEOUT_S: String(VISIBILITY_TIMEOUT_S),
  });
  const effects = sideEffects(cluster.dir);
  let stores: Awaited<ReturnType<typeof testStores>>;

  beforeAll(async () => {
    stores = await testStores(cluster.config);
  });
  afterAll(() => {
    // The script of the killed worker leads its own process group and outlives it.
    effects.killUnfinished();
    stores?.client.destroy();
  });

  it("a worker SIGKILLed mid-run: its attempt never runs twice, the redelivered message is skipped, and the run is retried once as a new attempt", async () => {
    // Concurrency 1: while it runs its one run, the doomed worker has no long
    // poll open. The emulator keeps serving a poll whose client is gone, so an
    // open poll of the dead worker would take the message once more and delay
    // the redelivery by another visibility timeout.
    const [api, doomed] = await Promise.all([
      cluster.start("scheduler", ["api", "scheduler"]),
      cluster.start("worker-1", ["worker"], { WORKER_CONCURRENCY: "1" }),
    ]);
    await cluster.untilOwns(api);
    const at = Date.now() + 500;
    const { job } = await jobClient(api.apiUrl!).createJob({
      name: "long run",
      owner: "e2e",
      schedule: { kind: { case: "at", value: timestampFromMs(at) } },
      // The first attempt outlasts the visibility timeout (the worker keeps the
      // message invisible); a retry is quick.
      target: effects.target(30, true),
    });
    const first = executionId({ jobId: job!.id, scheduledMs: at, attempt: 1 });
    const second = executionId({ jobId: job!.id, scheduledMs: at, attempt: 2 });
    await waitFor("worker-1 to record the start and run the script", async () => {
      const e = await stores.executions.getExecution(DEFAULT_TENANT, first);
      return e?.status === "RUNNING" && effects.starts(first) === 1 ? e : undefined;
    });

    // A second worker waits on the queue; worker-1 keeps the message invisible meanwhile.
    const rescuer = await cluster.start("worker-2", ["worker"]);
    expect(await cluster.signal(doomed, "SIGKILL")).toBe("SIGKILL");
    const killedAt = Date.now();

    // Issue 3 (src/cluster/leader.ts): the leader re-queues RUNNING runs of a worker whose
    // lease lapsed, as a new attempt.
    const retried = await waitFor(
      "the leader to re-queue the run and worker-2 to run attempt 2",
      async () => {
        const e = await stores.executions.getExecution(DEFAULT_TENANT, second);
        return e?.status === "SUCCEEDED" ? e : undefined;
      },
      30_000,
    );
    // And the first attempt's own message comes back when its visibility lapses: skipped.
    await waitFor(
      "worker-2 to receive attempt 1's message again and skip it",
      async () =>
        (await cluster.metric(rescuer, "chronoring_duplicate_deliveries_total")) >= 1
          ? true
          : undefined,
      VISIBILITY_TIMEOUT_S * 1000 + 20_000,
    );
    await waitFor("the queue to be empty", async () => {
      const d = await stores.queue.depth();
      return d.visible + d.inFlight + d.delayed === 0 ? d : undefined;
    });
    console.log(
      `worker-crash: attempt 2 started ${retried.startedMs! - killedAt} ms after SIGKILL (session TTL ${cluster.config.etcd.sessionTtlMs} ms)`,
    );

    // What was stored: attempt 1 failed with the dead worker, attempt 2 succeeded once.
    const { items } = await stores.executions.listExecutions(DEFAULT_TENANT, {
      jobId: job!.id,
      pageSize: 10,
    });
    expect(
      items.map((e) => [e.id, e.status, e.workerId]).sort((x, y) => x[0]!.localeCompare(y[0]!)),
    ).toEqual([
      [first, "FAILED", doomed.workerId],
      [second, "SUCCEEDED", rescuer.workerId],
    ]);
    expect(await cluster.metric(api, "chronoring_runs_requeued_total")).toBe(1);
    // No attempt ran twice.
    expect(effects.starts(first)).toBe(1);
    expect(effects.starts(second)).toBe(1);
    // Not asserted, reported: attempt 1's script leads its own process group, so it outlives
    // the SIGKILLed worker and runs on beside attempt 2 (the side effect happens twice).
    const orphan = effects.read().find((e) => e.executionId === first)?.pid;
    console.log(
      `worker-crash: attempt 1's script (pid ${orphan}) is ${isAlive(orphan) ? "still running after attempt 2 ended" : "gone"}`,
    );
  });
});
