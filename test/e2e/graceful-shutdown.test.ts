import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { executionId } from "../../src/core/execution.js";
import { testStores } from "../support/app.js";
import { jobClient } from "../support/client.js";
import { e2eCluster, type Node } from "../support/processes.js";
import { sideEffects } from "../support/side-effects.js";
import { waitFor } from "../support/wait.js";

const START_TIMEOUT_MS = 3000;

describe("graceful shutdown (real processes, SIGTERM)", () => {
  const cluster = e2eCluster("graceful", {
    LOOKAHEAD_MS: "15000",
    START_TIMEOUT_MS: String(START_TIMEOUT_MS),
  });
  const effects = sideEffects(cluster.dir);
  let stores: Awaited<ReturnType<typeof testStores>>;
  /** The scheduler that serves the API now: scheduler-1, then scheduler-2 (tests run in order). */
  let scheduler: Node;
  /** One worker serves both tests; the worker test, last, stops it. */
  let worker: Node;

  beforeAll(async () => {
    [stores, scheduler, worker] = await Promise.all([
      testStores(cluster.config),
      cluster.start("scheduler-1", ["api", "scheduler"]),
      cluster.start("worker-1", ["worker"]),
    ]);
    await cluster.untilOwns(scheduler);
  });
  afterAll(() => stores?.client.destroy());

  async function createOnce(name: string, at: number, sleepS = 0) {
    const { job } = await jobClient(scheduler.apiUrl!).createJob({
      name,
      owner: "e2e",
      schedule: { kind: { case: "at", value: timestampFromMs(at) } },
      target: effects.target(sleepS),
    });
    return { jobId: job!.id, id: executionId({ jobId: job!.id, scheduledMs: at, attempt: 1 }) };
  }

  const succeeded = (id: string, timeoutMs = 20_000) =>
    waitFor(
      `${id} to succeed`,
      async () => {
        const e = await stores.executions.getExecution(DEFAULT_TENANT, id);
        return e?.status === "SUCCEEDED" ? e : undefined;
      },
      timeoutMs,
    );

  async function onlyRecord(jobId: string) {
    const { items } = await stores.executions.listExecutions(DEFAULT_TENANT, {
      jobId,
      pageSize: 10,
    });
    expect(items).toHaveLength(1);
    return items[0]!;
  }

  it("SIGTERM to a scheduler sends what is due and exits 0; its held runs are sent at their time by the next scheduler and fire exactly once", async () => {
    const now = Date.now();
    const dueAt = now + 2000;
    const heldAt = now + 4500;
    const [due, held] = await Promise.all([
      createOnce("due at the signal", dueAt),
      createOnce("held at the signal", heldAt),
    ]);
    // Both claimed at once (15 s look-ahead) and held in memory by scheduler-1.
    await waitFor("both claims", async () => {
      const jobs = await Promise.all(
        [due, held].map((r) => stores.jobs.getJob(DEFAULT_TENANT, r.jobId)),
      );
      return jobs.every((j) => j?.status === "FINISHED") ? true : undefined;
    });
    expect(Date.now(), "claimed before the first run's time").toBeLessThan(dueAt);

    // The signal lands at the first run's time: whichever of the dispatch timer and the
    // shutdown sends it, it goes out now; the later run is dropped from memory.
    while (Date.now() < dueAt) await new Promise((r) => setTimeout(r, 5));
    const termAt = Date.now();
    expect(await cluster.signal(scheduler, "SIGTERM")).toBe("0");
    console.log(`graceful-shutdown: scheduler exited ${Date.now() - termAt} ms after SIGTERM`);
    expect(Date.now(), "exited before the held run's time").toBeLessThan(heldAt);

    const next = await cluster.start("scheduler-2", ["api", "scheduler"]);
    scheduler = next;
    // A process starts in 1-5 s on a loaded machine: the held run may be due before
    // scheduler-2 owns its partition, and then it can be sent no sooner than that.
    await cluster.untilOwns(next);
    const ownedAt = Date.now();
    const [dueRun, heldRun] = await Promise.all([succeeded(due.id), succeeded(held.id, 30_000)]);
    // The due run was sent by scheduler-1, on time. The held one by scheduler-2: its
    // first sweep of a gained partition reads the claims due within a start timeout
    // and the look-ahead, and sends the held run at its time (or at once, if it owns
    // the partition later) rather than after the start timeout (the worker's
    // conditional start keeps it once).
    expect(dueRun.queuedMs! - dueAt).toBeLessThan(START_TIMEOUT_MS);
    expect(heldRun.queuedMs! - Math.max(heldAt, ownedAt)).toBeLessThan(START_TIMEOUT_MS);
    const sentAgain =
      (await cluster.metric(next, "chronoring_runs_resent_total")) +
      (await cluster.metric(next, "chronoring_takeover_runs_total"));
    expect(sentAgain).toBeGreaterThanOrEqual(1);
    console.log(
      `graceful-shutdown: held run scheduled → started ${heldRun.startedMs! - heldAt} ms, scheduler-2 owned its partitions at ${ownedAt - heldAt} ms (start timeout ${START_TIMEOUT_MS} ms)`,
    );

    await new Promise((r) => setTimeout(r, 1000));
    for (const r of [due, held]) {
      expect(await onlyRecord(r.jobId)).toMatchObject({ id: r.id, status: "SUCCEEDED" });
      expect(effects.starts(r.id)).toBe(1);
    }
  });

  // After the scheduler test on purpose: a stopping worker aborts its long poll, and the
  // emulator still hands the next message sent within the poll's wait (20 s) to that dead
  // poll, which delays it by a visibility timeout. Nothing is sent after this test.
  it("SIGTERM to a worker mid-run lets the run finish and record SUCCEEDED before the process exits", async () => {
    const { jobId, id } = await createOnce("drained", Date.now() + 300, 3);
    const running = await waitFor("the run to start", async () => {
      const e = await stores.executions.getExecution(DEFAULT_TENANT, id);
      return e?.status === "RUNNING" && effects.starts(id) === 1 ? e : undefined;
    });
    expect(running.workerId).toBe(worker.workerId);
    const termAt = Date.now();
    expect(await cluster.signal(worker, "SIGTERM")).toBe("0");
    const exitedAt = Date.now();

    // Recorded by the exiting process: SUCCEEDED after the signal, before the exit.
    const record = await stores.executions.getExecution(DEFAULT_TENANT, id);
    expect(record).toMatchObject({ status: "SUCCEEDED", workerId: worker.workerId });
    expect(record!.endedMs!).toBeGreaterThan(termAt);
    expect(record!.endedMs!).toBeLessThanOrEqual(exitedAt);
    expect(effects.ended(id)).toBe(true);
    expect(effects.starts(id)).toBe(1);
    // And its message was deleted: nothing comes back for another worker.
    const depth = await stores.queue.depth();
    expect(depth.visible + depth.inFlight + depth.delayed).toBe(0);
    console.log(`graceful-shutdown: worker exited ${exitedAt - termAt} ms after SIGTERM`);
    await onlyRecord(jobId);
  });
});
