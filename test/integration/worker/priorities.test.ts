/**
 * Priorities against the real backends: HIGH runs overtake a LOW backlog
 * while LOW keeps its share (the rule of src/worker/priority-order.ts, read
 * back from the stored executions' start order), a worker never holds more
 * runs than its concurrency across the three queues, and an idle worker's
 * long polls add no latency to any queue.
 */
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { type Execution, ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { Priority } from "../../../gen/chronoring/v1/priority_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(config: Config): Promise<App> {
  const app = await startApp(config, { logger: silentLogger });
  apps.push(app);
  return app;
}

/**
 * A worker whose starts hold their slot however slow the store (no starts
 * beyond the slots): on a loaded machine a stalled store would let runs
 * begin their starts in the order they were received rather than wait for
 * a slot in priority order, which is what these tests read back.
 */
function workerConfig(config: Config, id: string, concurrency: number): Config {
  const worker = { ...config.worker, id, concurrency, startsBeyondSlots: 0 };
  return { ...config, roles: ["worker"], worker };
}

/** A one-time noop job due now that sleeps `sleepMs`. */
function dueNow(priority: Priority, sleepMs: number, at = Date.now()) {
  return {
    name: `p${priority}`,
    owner: "priorities",
    priority,
    schedule: { kind: { case: "at" as const, value: timestampFromMs(at) } },
    target: {
      kind: {
        case: "noop" as const,
        value: { sleep: { seconds: 0n, nanos: sleepMs * 1e6 } },
      },
    },
  };
}

const started = (e: Execution) => timestampMs(e.startTime!);

describe("priorities", () => {
  it("HIGH runs overtake a LOW backlog while LOW still starts 1 in 7", async () => {
    const config = testConfig("prio-overtake", { ETCD_ENDPOINTS: "", ROLES: "api,scheduler" });
    const api = await start(config);
    const client = jobClient(api.apiUrl!);
    const stores = await testStores(config);
    const priorityOf = new Map<string, Priority>();
    const create = (priority: Priority, n: number) =>
      Promise.all(
        Array.from({ length: n }, async () => {
          const { job } = await client.createJob(dueNow(priority, 100));
          priorityOf.set(job!.id, priority);
        }),
      );

    await create(Priority.LOW, 14);
    // Sent together, the 14 runs may share messages: the depth counts messages.
    await waitFor("the LOW backlog in its queue", async () =>
      (await stores.queue.depth("LOW")).visible > 0 ? true : undefined,
    );
    await start(workerConfig(config, "w-overtake", 1));
    await waitFor("the worker to take some LOW runs", async () => {
      const page = await client.listExecutions({ workerId: "w-overtake", pageSize: 100 });
      return page.executions.length >= 3 ? true : undefined;
    });
    await create(Priority.HIGH, 10);

    const all = await waitFor(
      "every run to succeed",
      async () => {
        const page = await client.listExecutions({ workerId: "w-overtake", pageSize: 100 });
        const done = page.executions.filter((e) => e.status === ExecutionStatus.SUCCEEDED);
        return done.length === 24 ? done : undefined;
      },
      30_000,
    );
    const order = all.sort((a, b) => started(a) - started(b));
    const kind = (e: Execution) => priorityOf.get(e.jobId);
    // From the moment the last HIGH run was in its queue to the last HIGH start:
    const highs = order.filter((e) => kind(e) === Priority.HIGH);
    const allQueued = Math.max(...highs.map((e) => timestampMs(e.queueTime!)));
    const lastHigh = started(highs.at(-1)!);
    const contested = order.filter((e) => started(e) > allQueued && started(e) <= lastHigh);
    const lowsLeft = order.filter((e) => kind(e) === Priority.LOW && started(e) > allQueued);
    expect(contested.length).toBeGreaterThanOrEqual(7);
    // LOW runs were still waiting after every HIGH one started: HIGH overtook them.
    expect(lowsLeft.length).toBeGreaterThan(
      contested.filter((e) => kind(e) === Priority.LOW).length,
    );
    // Every 7 consecutive starts while both had a backlog: LOW gets its 1 (it
    // is not starved) and HIGH most of the rest. One more LOW is allowed: a
    // receive may find HIGH empty for a moment while its standby poll holds
    // the message it just took (see receiver.ts), and fall through to LOW.
    for (let i = 0; i + 7 <= contested.length; i++) {
      const window = contested.slice(i, i + 7).map(kind);
      const lows = window.filter((k) => k === Priority.LOW).length;
      expect(lows, `window at ${i}`).toBeGreaterThanOrEqual(1);
      expect(lows, `window at ${i}`).toBeLessThanOrEqual(2);
      expect(window.filter((k) => k === Priority.HIGH).length, `window at ${i}`).toBe(7 - lows);
    }
  });

  it("never holds more runs than the worker's concurrency across the three queues", async () => {
    const config = testConfig("prio-concurrency", {
      ETCD_ENDPOINTS: "",
      WORKER_CONCURRENCY: "3",
      // A run started beyond the slots (a stalled store) is RUNNING while it
      // waits for one: the stored times read back here would count it.
      WORKER_STARTS_BEYOND_SLOTS: "0",
      WORKER_ID: "w-conc",
    });
    const app = await start(config);
    const client = jobClient(app.apiUrl!);
    const at = Date.now() + 1500;
    for (const priority of [Priority.HIGH, Priority.MEDIUM, Priority.LOW]) {
      await Promise.all(
        Array.from({ length: 5 }, () => client.createJob(dueNow(priority, 300, at))),
      );
    }
    const runs = await waitFor(
      "every run to succeed",
      async () => {
        const page = await client.listExecutions({ workerId: "w-conc", pageSize: 100 });
        const done = page.executions.filter((e) => e.status === ExecutionStatus.SUCCEEDED);
        return done.length === 15 ? done : undefined;
      },
      30_000,
    );
    // Most runs executing at any instant, from the stored start and end times.
    const edges = runs.flatMap((e) => [
      { t: started(e), d: 1 },
      { t: timestampMs(e.endTime!), d: -1 },
    ]);
    edges.sort((a, b) => a.t - b.t || a.d - b.d);
    let now = 0;
    let most = 0;
    for (const edge of edges) {
      now += edge.d;
      most = Math.max(most, now);
    }
    expect(most).toBe(3);
    // Queue depth is reported per priority queue.
    const metrics = await (await fetch(`${app.apiUrl}/metrics`)).text();
    for (const p of ["high", "medium", "low"]) {
      expect(metrics).toContain(`chronoring_queue_depth{priority="${p}",state="visible"} 0`);
    }

    // Idle now (every queue empty, long polls out): a run on any queue starts at once.
    for (const priority of [Priority.LOW, Priority.MEDIUM, Priority.HIGH]) {
      const { job } = await client.createJob({
        ...dueNow(priority, 0),
        schedule: { kind: { case: "cron", value: "0 0 1 1 *" } },
      });
      const { execution } = await client.triggerJob({ id: job!.id });
      const run = await waitFor("the triggered run", async () => {
        // NotFound until a worker starts it (the record is written at start).
        const e = await client
          .getExecution({ id: execution!.id })
          .then((r) => r.execution)
          .catch(() => undefined);
        return e?.status === ExecutionStatus.SUCCEEDED ? e : undefined;
      });
      expect(started(run) - timestampMs(run.queueTime!), `${Priority[priority]}`).toBeLessThan(
        1000,
      );
    }
  });
});
