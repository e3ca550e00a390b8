import { describe, expect, it } from "vitest";
import type { Member, MemberRole } from "../../../src/core/ports/coordinator.js";
import { etcdFixture, testPrefix, waitFor } from "./fixtures/etcd.js";

const TTL_MS = 2_000;
const etcd = etcdFixture();

const member = (id: string, role: MemberRole = "scheduler"): Member => ({
  id,
  role,
  joinedMs: 1_700_000_000_000,
  info: { host: `host-${id}` },
});

/** Collects every list a watch reports; `ids()` is the latest one's ids. */
function recorder() {
  const lists: Member[][] = [];
  return {
    lists,
    onChange: (members: Member[]) => lists.push(members),
    ids: () => (lists.at(-1) ?? []).map((m) => m.id),
  };
}

describe("etcd membership", () => {
  it("lists the live members of a role, with what they registered", async () => {
    const coordinator = etcd.coordinator(testPrefix("members-list"));
    const session = await coordinator.openSession(TTL_MS);
    await coordinator.register(session, member("s1"));
    await coordinator.register(session, member("w1", "worker"));
    expect(await coordinator.members("scheduler")).toEqual([member("s1")]);
    expect(await coordinator.members("worker")).toEqual([member("w1", "worker")]);
  });

  it("watchMembers reports the list now, then each join and each leave", async () => {
    const coordinator = etcd.coordinator(testPrefix("members-watch"));
    const a = await coordinator.openSession(TTL_MS);
    const b = await coordinator.openSession(TTL_MS);
    await coordinator.register(a, member("a"));
    const seen = recorder();
    const stop = await coordinator.watchMembers("scheduler", seen.onChange);
    expect(seen.lists).toEqual([[member("a")]]);

    await coordinator.register(b, member("b"));
    await waitFor("b joined", () => seen.ids().join() === "a,b");
    await coordinator.register(b, member("w", "worker")); // another role: not reported
    await a.close();
    await waitFor("a left", () => seen.ids().join() === "b");
    expect(seen.lists.map((l) => l.map((m) => m.id).join())).toEqual(["a", "a,b", "b"]);

    await stop();
    await b.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.ids()).toEqual(["b"]); // nothing after stop
  });

  it("watchMembers survives a compacted start revision: reads again, watches again, reports the right list", async () => {
    const prefix = testPrefix("members-compact");
    const writer = etcd.coordinator(prefix);
    const writerSession = await writer.openSession(TTL_MS);
    await writer.register(writerSession, member("m1"));

    const snapshots: number[] = [];
    const watcher = etcd.coordinator(prefix, {
      // Between the watch's first read and its watch, two more members join
      // and etcd is compacted past the revision the watch is about to start at.
      afterWatchSnapshot: async (revision) => {
        snapshots.push(revision);
        if (snapshots.length > 1) return;
        await writer.register(writerSession, member("m2"));
        await writer.register(writerSession, member("m3"));
        await etcd.raw.kv.compact({ revision: revision + 2, physical: true });
      },
    });
    const seen = recorder();
    await watcher.watchMembers("scheduler", seen.onChange);
    expect(seen.ids()).toEqual(["m1"]);

    await waitFor("m2 and m3 after the re-read", () => seen.ids().join() === "m1,m2,m3", 3_000);
    expect(snapshots).toHaveLength(2); // the compaction forced exactly one re-read
    expect(snapshots[1]).toBeGreaterThanOrEqual(snapshots[0]! + 2);

    // The new watch works: later changes arrive as events.
    await writer.register(writerSession, member("m4"));
    await waitFor("m4", () => seen.ids().join() === "m1,m2,m3,m4");
  });
});
