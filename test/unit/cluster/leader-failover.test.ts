/**
 * The leader's re-queue of a lost worker's runs, on a fake clock with the
 * memory coordinator, when its member watch lags: a known worker missing
 * from the watch's list is only taken for lost once a direct read of the
 * members says so. A live worker's RUNNING attempt is never re-queued and
 * the worker is never forgotten (a forgotten worker's later death would go
 * unnoticed, and its runs would be lost); once it is gone, its attempt is
 * re-queued.
 */
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryCoordinator } from "../../../src/adapters/memory/coordinator.js";
import type { MemorySession } from "../../../src/adapters/memory/session.js";
import { startLeaderDuties } from "../../../src/cluster/leader.js";
import { createClusterMetrics } from "../../../src/cluster/metrics.js";
import type { Execution } from "../../../src/core/execution.js";
import type { Coordinator, Member } from "../../../src/core/ports/coordinator.js";
import type { ExecutionStore } from "../../../src/core/ports/execution-store.js";
import type { WorkQueue } from "../../../src/core/ports/work-queue.js";
import { type FakeClock, fakeClock, settleOn } from "../../support/fake-clock.js";

const T0 = Date.UTC(2030, 0, 1);
const silent = pino({ level: "silent" });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const running = (workerId: string): Execution => ({
  id: `exec-${workerId}`,
  tenant: "default",
  jobId: "job_1",
  partition: 0,
  scheduledMs: T0,
  attempt: 1,
  manual: false,
  status: "RUNNING",
  workerId,
});

/**
 * A leader whose worker watch reports nothing until `release()` (an etcd
 * watch that lags), over one RUNNING attempt per worker that joins.
 */
async function laggingLeader(clock: FakeClock) {
  const memory = createMemoryCoordinator({ clock });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const coordinator: Coordinator = {
    ...memory,
    async watchMembers(role, onChange) {
      if (role === "scheduler") return memory.watchMembers(role, onChange);
      let live = true;
      const stop = await memory.watchMembers(role, (members: Member[]) => {
        void released.then(() => live && onChange(members));
      });
      return async () => {
        live = false;
        await stop();
      };
    },
  };
  const runningOf = new Map<string, Execution>();
  const requeued: string[] = [];
  const executions = {
    listExecutions: async (_scope: unknown, query: { workerId?: string }) => {
      const found = runningOf.get(query.workerId ?? "");
      return { items: found ? [found] : [] };
    },
    async requeue(execution: Execution) {
      requeued.push(execution.workerId ?? "");
      runningOf.delete(execution.workerId ?? "");
      return { ...execution, attempt: execution.attempt + 1, priority: "MEDIUM" };
    },
  } as unknown as ExecutionStore;
  const sent: unknown[] = [];
  const queue = { send: async (runs: unknown[]) => void sent.push(...runs) } as WorkQueue;

  const leaderSession = await memory.openSession(60_000);
  await memory.register(leaderSession, { id: "s1", role: "scheduler", joinedMs: T0, info: {} });
  const leadership = await memory.campaign(leaderSession, "s1");
  const duties = startLeaderDuties({
    coordinator,
    leadership,
    executions,
    jobs: { getJob: async () => undefined, highestFenceEpoch: async () => 0 },
    queue,
    clock,
    logger: silent,
    metrics: createClusterMetrics(new Registry()),
    options: { partitionCount: 4, failoverIntervalMs: 1000, startTimeoutMs: 4000, settleMs: 100 },
  });
  cleanups.push(async () => {
    await duties.stop();
    await memory.close();
  });

  /** A worker joins as one does (member, then known) and is running an attempt. */
  async function join(id: string): Promise<MemorySession> {
    const session = (await memory.openSession(60_000)) as MemorySession;
    await memory.register(session, { id, role: "worker", joinedMs: clock.now(), info: {} });
    await memory.rememberWorker(id);
    runningOf.set(id, running(id));
    return session;
  }
  return { memory, release, join, requeued, sent };
}

describe("the leader's re-queue of lost workers' runs", () => {
  it("takes a known worker missing from a lagging watch for live while it is a member", async () => {
    const clock = fakeClock(T0);
    const leader = await laggingLeader(clock);
    const w1 = await leader.join("w1");
    // Passes on the timer before the watch said anything, and after.
    await clock.tick(3000);
    leader.release();
    await settleOn(clock);
    const w2 = await leader.join("w2");
    await clock.tick(3000);
    expect(leader.requeued).toEqual([]);
    expect((await leader.memory.knownWorkers()).sort()).toEqual(["w1", "w2"]);

    // w2's lease lapses: its attempt is re-queued, and it is forgotten.
    w2.expire();
    await settleOn(clock);
    await clock.tick(1000);
    expect(leader.requeued).toEqual(["w2"]);
    expect(leader.sent).toHaveLength(1);
    expect(await leader.memory.knownWorkers()).toEqual(["w1"]);

    w1.expire();
    await settleOn(clock);
    await clock.tick(1000);
    expect(leader.requeued).toEqual(["w2", "w1"]);
  });
});
