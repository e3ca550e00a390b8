import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableNames } from "../../src/adapters/dynamodb/client.js";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { executionId } from "../../src/core/execution.js";
import { testStores } from "../support/app.js";
import { jobClient } from "../support/client.js";
import { e2eCluster } from "../support/processes.js";
import { sideEffects } from "../support/side-effects.js";
import { waitFor } from "../support/wait.js";

// Long enough that a send before it can only be the takeover's.
const START_TIMEOUT_MS = 10_000;

describe("scheduler crash (real processes, SIGKILL)", () => {
  const cluster = e2eCluster("sched-crash", {
    LOOKAHEAD_MS: "15000",
    START_TIMEOUT_MS: String(START_TIMEOUT_MS),
  });
  const effects = sideEffects(cluster.dir);
  let stores: Awaited<ReturnType<typeof testStores>>;

  beforeAll(async () => {
    stores = await testStores(cluster.config);
  });
  afterAll(() => stores?.client.destroy());

  it("a run claimed by a scheduler that was SIGKILLed before sending it is sent by the next scheduler and executes exactly once", async () => {
    const a = await cluster.start("scheduler-a", ["api", "scheduler"]);
    await cluster.untilOwns(a);
    // Far enough ahead that a loaded machine still claims well before it (15 s look-ahead).
    const at = Date.now() + 8000;
    const { job } = await jobClient(a.apiUrl!).createJob({
      name: "crash victim",
      owner: "e2e",
      schedule: { kind: { case: "at", value: timestampFromMs(at) } },
      target: effects.target(),
    });
    const jobId = job!.id;
    const run = { jobId, scheduledMs: at, attempt: 1 };
    const id = executionId(run);

    // A claims the run at once (15 s look-ahead) and holds it in memory until `at`.
    const claimed = await waitFor("the claim of the run in the job item", async () => {
      const out = await stores.client.send(
        new GetItemCommand({
          TableName: tableNames(cluster.prefix).jobs,
          Key: { id: { S: jobId } },
          ConsistentRead: true,
        }),
      );
      return out.Item?.claimed?.NS?.includes(String(at)) ? out.Item : undefined;
    });
    expect(claimed.st?.S).toBe("FINISHED");
    expect(Number(claimed.recover_at?.N)).toBeGreaterThan(at);
    // Still held, not sent: the kill lands between the claim and the send.
    expect(Date.now(), "claimed well before the run's time").toBeLessThan(at - 500);
    expect(await cluster.metric(a, "chronoring_runs_sent_total")).toBe(0);

    expect(await cluster.signal(a, "SIGKILL")).toBe("SIGKILL");

    // The next scheduler knows nothing of the held run; it finds it through the claim record
    // once it owns the partitions (A's leadership and membership lapse with its lease).
    // B also runs the worker role: no worker was needed while A held the run.
    const b = await cluster.start("node-b", ["scheduler", "worker"]);
    const done = await waitFor(
      "the run to succeed",
      async () => {
        const e = await stores.executions.getExecution(DEFAULT_TENANT, id);
        return e?.status === "SUCCEEDED" ? e : undefined;
      },
      30_000,
    );
    // B took A's partitions over (A left the cluster): it sent the run A held
    // without waiting for its start timeout, which the sweep would have.
    expect(await cluster.metric(b, "chronoring_takeover_runs_total")).toBeGreaterThanOrEqual(1);
    expect(await cluster.metric(b, "chronoring_runs_resent_total")).toBe(0);
    expect(done.queuedMs! - at).toBeLessThan(START_TIMEOUT_MS);
    expect(done.workerId).toBe(b.workerId);
    console.log(
      `scheduler-crash: scheduled → queued ${done.queuedMs! - at} ms, → started ${
        done.startedMs! - at
      } ms (start timeout ${START_TIMEOUT_MS} ms)`,
    );

    // Give a second send (if any) time to execute, then check what was stored and done.
    await new Promise((r) => setTimeout(r, 1000));
    const { items } = await stores.executions.listExecutions(DEFAULT_TENANT, {
      jobId,
      pageSize: 10,
    });
    expect(items.map((e) => [e.id, e.status])).toEqual([[id, "SUCCEEDED"]]);
    expect(effects.starts(id)).toBe(1);
    expect(effects.read()).toHaveLength(2);
  });
});
