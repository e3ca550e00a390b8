import { describe, expect, it } from "vitest";
import { isChronoringError } from "../../../src/core/errors.js";
import type { Assignment } from "../../../src/core/ports/coordinator.js";
import { etcdFixture, testPrefix, waitFor } from "./fixtures/etcd.js";

const TTL_MS = 2_000;
const etcd = etcdFixture();

describe("etcd assignment", () => {
  it("publishes at increasing epochs, read back with since-zeros replaced by the epoch", async () => {
    const coordinator = etcd.coordinator(testPrefix("assign-epochs"));
    expect(await coordinator.readAssignment()).toBeUndefined();
    const session = await coordinator.openSession(TTL_MS);
    const leadership = await coordinator.campaign(session, "leader");

    const e1 = await coordinator.publishAssignment(leadership, ["a", "b", "c"], [0, 0, 0]);
    expect(await coordinator.readAssignment()).toEqual({
      epoch: e1,
      owners: ["a", "b", "c"],
      since: [e1, e1, e1],
    });
    // Partition 1 moves to d; the others keep the epoch they got their owner at.
    const e2 = await coordinator.publishAssignment(leadership, ["a", "d", "c"], [e1, 0, e1]);
    expect(e2).toBeGreaterThan(e1);
    expect(await coordinator.readAssignment()).toEqual({
      epoch: e2,
      owners: ["a", "d", "c"],
      since: [e1, e2, e1],
    });

    // A later leader's epochs are higher still.
    await leadership.resign();
    const next = await coordinator.campaign(await coordinator.openSession(TTL_MS), "next");
    expect(next.term).toBeGreaterThan(leadership.term);
    const e3 = await coordinator.publishAssignment(next, ["a", "d", "c"], [e1, e2, e1]);
    expect(e3).toBeGreaterThan(e2);
  });

  it("publishes above a base: epochs and since-zeros are base + revision, and the base is read back", async () => {
    const coordinator = etcd.coordinator(testPrefix("assign-base"));
    const leadership = await coordinator.campaign(await coordinator.openSession(TTL_MS), "leader");
    const base = 1_000_000;
    const e1 = await coordinator.publishAssignment(leadership, ["a", "b"], [0, 0], base);
    expect(e1).toBeGreaterThan(base);
    expect(await coordinator.readAssignment()).toEqual({
      epoch: e1,
      owners: ["a", "b"],
      since: [e1, e1],
      base,
    });
    const e2 = await coordinator.publishAssignment(leadership, ["a", "c"], [e1, 0], base);
    expect(await coordinator.readAssignment()).toEqual({
      epoch: e2,
      owners: ["a", "c"],
      since: [e1, e2],
      base,
    });
    await expect(coordinator.publishAssignment(leadership, ["a"], [0], -1)).rejects.toSatisfy(
      (err) => isChronoringError(err, "invalid_argument"),
    );
  });

  it("rejects a publication by a deposed leader and keeps the new leader's assignment", async () => {
    const prefix = testPrefix("assign-deposed");
    const old = etcd.coordinator(prefix);
    const oldLeadership = await old.campaign(await old.openSession(TTL_MS), "old");
    await old.publishAssignment(oldLeadership, ["old"], [0]);

    // The old leader's key vanishes behind its back (as when etcd expired its
    // lease while it was paused), and another node is elected.
    await etcd.raw.delete().prefix(`${prefix}election/`);
    const fresh = etcd.coordinator(prefix);
    const newLeadership = await fresh.campaign(await fresh.openSession(TTL_MS), "new");
    const epoch = await fresh.publishAssignment(newLeadership, ["new"], [0]);

    const rejected = await old.publishAssignment(oldLeadership, ["old"], [0]).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isChronoringError(rejected, "failed_precondition")).toBe(true);
    expect(oldLeadership.isLeader()).toBe(false);
    expect(await old.readAssignment()).toEqual({ epoch, owners: ["new"], since: [epoch] });
  });

  it("rejects a publication after resign", async () => {
    const coordinator = etcd.coordinator(testPrefix("assign-resigned"));
    const leadership = await coordinator.campaign(await coordinator.openSession(TTL_MS), "a");
    await leadership.resign();
    await expect(coordinator.publishAssignment(leadership, ["a"], [0])).rejects.toSatisfy((err) =>
      isChronoringError(err, "failed_precondition"),
    );
    expect(await coordinator.readAssignment()).toBeUndefined();
  });

  it("watchAssignment reports the current assignment and each publication, also across a compaction", async () => {
    const prefix = testPrefix("assign-watch");
    const leaderSide = etcd.coordinator(prefix);
    const leadership = await leaderSide.campaign(await leaderSide.openSession(TTL_MS), "l");
    const e1 = await leaderSide.publishAssignment(leadership, ["a"], [0]);

    let reads = 0;
    const watcher = etcd.coordinator(prefix, {
      afterWatchSnapshot: async (revision) => {
        if (++reads > 1) return;
        await leaderSide.publishAssignment(leadership, ["b"], [0]);
        await leaderSide.publishAssignment(leadership, ["c"], [0]);
        await etcd.raw.kv.compact({ revision: revision + 2, physical: true });
      },
    });
    const seen: Assignment[] = [];
    const stop = await watcher.watchAssignment((a) => seen.push(a));
    expect(seen).toEqual([{ epoch: e1, owners: ["a"], since: [e1] }]);
    await waitFor("c after the re-read", () => seen.at(-1)?.owners[0] === "c");
    expect(reads).toBe(2);
    const e4 = await leaderSide.publishAssignment(leadership, ["d"], [0]);
    await waitFor("d", () => seen.at(-1)?.epoch === e4);
    expect(seen.at(-1)).toEqual({ epoch: e4, owners: ["d"], since: [e4] });
    await stop();
  });
});

describe("etcd worker registry", () => {
  it("remembers worker ids beyond their sessions until forgotten", async () => {
    const coordinator = etcd.coordinator(testPrefix("workers-seen"));
    const session = await coordinator.openSession(TTL_MS);
    await coordinator.register(session, { id: "w1", role: "worker", joinedMs: 1, info: {} });
    await coordinator.rememberWorker("w1");
    await coordinator.rememberWorker("w2/x");
    await session.close();
    expect(await coordinator.members("worker")).toEqual([]);
    expect(await coordinator.knownWorkers()).toEqual(["w1", "w2/x"]);
    await coordinator.forgetWorker("w1");
    expect(await coordinator.knownWorkers()).toEqual(["w2/x"]);
  });
});
