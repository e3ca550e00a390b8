/**
 * The leader's publication of the partition assignment, on a fake clock with
 * the memory coordinator, when a publication is slow (its store read of the
 * highest fence waits on a loaded store) and a node joins meanwhile: the
 * assignment left published must be the one of the nodes live now, not the
 * slow publication's older list. Before, the slow one published last and a
 * node that had joined owned nothing until the next membership change (a
 * failover bench: s2 owned no partition for minutes).
 */
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryCoordinator } from "../../../src/adapters/memory/coordinator.js";
import { assignPartitions } from "../../../src/cluster/assignment.js";
import { startLeaderDuties } from "../../../src/cluster/leader.js";
import { createClusterMetrics } from "../../../src/cluster/metrics.js";
import type { ExecutionStore } from "../../../src/core/ports/execution-store.js";
import type { WorkQueue } from "../../../src/core/ports/work-queue.js";
import { fakeClock, settleOn } from "../../support/fake-clock.js";

const T0 = Date.UTC(2030, 0, 1);
const PARTITIONS = 32;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("the leader's assignment", () => {
  it("ends on the live nodes when a node joins during a slow publication", async () => {
    const clock = fakeClock(T0);
    const memory = createMemoryCoordinator({ clock });
    // The first read of the highest fence hangs until released; later ones answer at once.
    let release: () => void = () => {};
    let reads = 0;
    const highestFenceEpoch = async () => {
      if (reads++ === 0) await new Promise<void>((resolve) => (release = resolve));
      return 0;
    };
    const join = async (id: string) => {
      const session = await memory.openSession(60_000);
      await memory.register(session, { id, role: "scheduler", joinedMs: clock.now(), info: {} });
      return session;
    };
    const leaderSession = await join("s1");
    const leadership = await memory.campaign(leaderSession, "s1");
    const duties = startLeaderDuties({
      coordinator: memory,
      leadership,
      executions: {} as ExecutionStore,
      jobs: { getJob: async () => undefined, highestFenceEpoch },
      queue: {} as WorkQueue,
      clock,
      logger: pino({ level: "silent" }),
      metrics: createClusterMetrics(new Registry()),
      options: {
        partitionCount: PARTITIONS,
        failoverIntervalMs: 60_000,
        startTimeoutMs: 4000,
        settleMs: 100,
      },
    });
    cleanups.push(async () => {
      await duties.stop();
      await memory.close();
    });

    // The publication for s1 alone starts, and waits on its fence read.
    await settleOn(clock);
    await clock.tick(100);
    await settleOn(clock);
    expect(reads).toBe(1);
    // s2 joins; the settle passes while the first publication still waits.
    await join("s2");
    await settleOn(clock);
    await clock.tick(100);
    await settleOn(clock);
    release();
    await settleOn(clock);
    await clock.tick(100);
    await settleOn(clock);

    const published = await memory.readAssignment();
    expect(published?.owners).toEqual(assignPartitions(["s1", "s2"], PARTITIONS));
  });
});
