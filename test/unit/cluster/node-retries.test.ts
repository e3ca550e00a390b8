/**
 * The cluster node's waits on a fake clock, with the memory coordinator: a
 * campaign etcd refused is tried again every second; a node standing aside
 * asks every second whether the store answers and rejoins once it does, and
 * a stop ends that wait at once; the wake-hint watch is started again every
 * `retryMs` until it starts, and never after a stop.
 */
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryCoordinator } from "../../../src/adapters/memory/coordinator.js";
import { createClusterMetrics } from "../../../src/cluster/metrics.js";
import { startClusterNode } from "../../../src/cluster/node.js";
import { followWakeHints } from "../../../src/cluster/wake-hints.js";
import { unavailable } from "../../../src/core/errors.js";
import type { Coordinator } from "../../../src/core/ports/coordinator.js";
import { type FakeClock, fakeClock, settleOn } from "../../support/fake-clock.js";

const T0 = Date.UTC(2030, 0, 1);
const silent = pino({ level: "silent" });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A scheduler node on the memory coordinator whose first `refusals` campaigns fail. */
function schedulerNode(clock: FakeClock, refusals: number) {
  const memory = createMemoryCoordinator({ clock });
  const campaigns: number[] = [];
  const coordinator: Coordinator = {
    ...memory,
    campaign: (session, id, signal) => {
      campaigns.push(clock.now() - T0);
      if (campaigns.length <= refusals) {
        return Promise.reject(unavailable("etcd", new Error("refused")));
      }
      return memory.campaign(session, id, signal);
    },
  };
  const node = startClusterNode({
    coordinator,
    logger: silent,
    metrics: createClusterMetrics(new Registry()),
    options: { id: "s1", role: "scheduler", sessionTtlMs: 60_000, info: {} },
    clock,
  });
  cleanups.push(async () => {
    const stopped = node.stop();
    await settleOn(clock);
    await stopped;
    await memory.close();
  });
  return { node, campaigns };
}

describe("the cluster node on a fake clock", () => {
  it("tries a refused campaign again every second until it is elected", async () => {
    const clock = fakeClock(T0);
    const { node, campaigns } = schedulerNode(clock, 2);
    await settleOn(clock);
    expect(campaigns).toEqual([0]);
    await clock.tick(999);
    expect(campaigns).toEqual([0]);
    await clock.tick(1);
    await clock.tick(1_000);
    await settleOn(clock);
    expect(campaigns).toEqual([0, 1_000, 2_000]);
    expect(node.isLeader()).toBe(true);
  });

  it("standing aside, asks every second whether the store answers and rejoins once it does", async () => {
    const clock = fakeClock(T0);
    const { node } = schedulerNode(clock, 0);
    await settleOn(clock);
    expect(node.isLeader()).toBe(true);
    const asked: number[] = [];
    const answers = [false, false, true];
    const aside = node.standAside(async () => {
      asked.push(clock.now() - T0);
      const answer = answers.shift() ?? true;
      if (answer === false && asked.length === 2) throw new Error("store unreachable");
      return answer;
    });
    await settleOn(clock);
    expect(node.isLive()).toBe(false);
    expect(node.isLeader()).toBe(false);
    await clock.tick(2_000);
    await aside;
    await settleOn(clock);
    expect(asked).toEqual([0, 1_000, 2_000]);
    expect(node.isLive()).toBe(true);
    expect(node.isLeader()).toBe(true);
  });

  it("a stop ends a stand-aside's wait at once", async () => {
    const clock = fakeClock(T0);
    const { node } = schedulerNode(clock, 0);
    await settleOn(clock);
    let asked = 0;
    const aside = node.standAside(async () => {
      asked++;
      return false;
    });
    await clock.tick(1_500);
    expect(asked).toBe(2);
    await node.stop();
    await aside;
    expect(clock.pending()).toBe(0);
    await clock.tick(10_000);
    expect(asked).toBe(2);
    expect(node.isLive()).toBe(false);
  });
});

describe("followWakeHints on a fake clock", () => {
  /** A coordinator whose wake watch fails `refusals` times before it starts. */
  function wakes(clock: FakeClock, refusals: number) {
    const tries: number[] = [];
    let unwatched = 0;
    const coordinator = {
      async watchWakes() {
        tries.push(clock.now() - T0);
        if (tries.length <= refusals) throw unavailable("etcd", new Error("refused"));
        return async () => {
          unwatched++;
        };
      },
    };
    return { coordinator, tries, unwatched: () => unwatched };
  }

  it("starts the watch again every retryMs until it starts, and stops it on stop", async () => {
    const clock = fakeClock(T0);
    const w = wakes(clock, 2);
    const follower = followWakeHints({
      coordinator: w.coordinator,
      onWake: () => {},
      logger: silent,
      retryMs: 500,
      clock,
    });
    await clock.tick(5_000);
    expect(w.tries).toEqual([0, 500, 1_000]);
    await follower.stop();
    expect(w.unwatched()).toBe(1);
  });

  it("tries no more once stopped", async () => {
    const clock = fakeClock(T0);
    const w = wakes(clock, 100);
    const follower = followWakeHints({
      coordinator: w.coordinator,
      onWake: () => {},
      logger: silent,
      clock,
    });
    await clock.tick(2_500);
    expect(w.tries).toEqual([0, 1_000, 2_000]);
    await follower.stop();
    await clock.tick(10_000);
    expect(w.tries).toHaveLength(3);
    expect(clock.pending()).toBe(0);
  });
});
