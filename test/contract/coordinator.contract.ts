import { describe, expect, it } from "vitest";
import type { Coordinator, Leadership } from "../../src/core/ports/coordinator.js";
import { waitFor } from "../support/wait.js";

/** A fresh coordinator on its own namespace; a second one on the same (another node). */
export type CoordinatorFactory = (
  label: string,
) => Promise<{ coordinator: Coordinator; peer(): Coordinator }>;

const TTL_MS = 3000;
const member = (id: string) => ({ id, role: "scheduler" as const, joinedMs: 1, info: {} });

/**
 * The behaviour the core relies on from every `Coordinator`: members live
 * as long as their session; one leader at a time, the next in line when it
 * goes; only the current leader publishes an assignment, at growing epochs;
 * pauses and wake hints reach their watchers.
 */
export function coordinatorContract(adapter: string, factory: CoordinatorFactory): void {
  describe(`Coordinator contract: ${adapter}`, () => {
    it("lists a member while its session lives, and tells watchers when it goes", async () => {
      const { coordinator } = await factory("members");
      const session = await coordinator.openSession(TTL_MS);
      await coordinator.register(session, member("n1"));
      expect((await coordinator.members("scheduler")).map((m) => m.id)).toEqual(["n1"]);
      expect(await coordinator.members("worker")).toEqual([]);
      let seen: string[] = [];
      const stop = await coordinator.watchMembers("scheduler", (ms) => {
        seen = ms.map((m) => m.id);
      });
      expect(seen).toEqual(["n1"]);
      await session.close();
      await waitFor("the member to go", () => (seen.length === 0 ? true : undefined));
      expect(await coordinator.members("scheduler")).toEqual([]);
      await stop();
      await coordinator.close();
    });

    it("elects one leader at a time, and the next candidate when the leader resigns", async () => {
      const { coordinator, peer } = await factory("elect");
      const other = peer();
      const s1 = await coordinator.openSession(TTL_MS);
      const s2 = await other.openSession(TTL_MS);
      const first = await coordinator.campaign(s1, "n1");
      let second: Leadership | undefined;
      const campaigning = other.campaign(s2, "n2").then((l) => {
        second = l;
        return l;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(second).toBeUndefined();
      expect(await other.leader()).toBe("n1");
      let lost = 0;
      first.onLost(() => lost++);
      await first.resign();
      await campaigning;
      expect(first.isLeader()).toBe(false);
      expect(lost).toBe(1);
      expect(second!.isLeader()).toBe(true);
      expect(second!.term).toBeGreaterThan(first.term);
      expect(await coordinator.leader()).toBe("n2");
      await other.close();
      await coordinator.close();
    });

    it("publishes assignments only under the current leadership, at growing epochs", async () => {
      const { coordinator, peer } = await factory("assign");
      const watcher = peer();
      const session = await coordinator.openSession(TTL_MS);
      const leadership = await coordinator.campaign(session, "n1");
      const seen: number[] = [];
      const stop = await watcher.watchAssignment((a) => seen.push(a.epoch));
      const e1 = await coordinator.publishAssignment(leadership, ["n1", "n1"], [0, 0]);
      const e2 = await coordinator.publishAssignment(leadership, ["n1", "n2"], [e1, 0]);
      expect(e2).toBeGreaterThan(e1);
      expect(await watcher.readAssignment()).toEqual({
        epoch: e2,
        owners: ["n1", "n2"],
        since: [e1, e2],
      });
      await waitFor("the watcher to see it", () => (seen.includes(e2) ? true : undefined));
      await leadership.resign();
      await expect(coordinator.publishAssignment(leadership, ["n1"], [0])).rejects.toMatchObject({
        kind: "failed_precondition",
      });
      await stop();
      await watcher.close();
      await coordinator.close();
    });

    it("remembers workers and their pauses, and tells a worker's watcher", async () => {
      const { coordinator, peer } = await factory("workers");
      const other = peer();
      await coordinator.rememberWorker("w1");
      expect(await other.knownWorkers()).toContain("w1");
      const states: boolean[] = [];
      const stop = await other.watchWorkerPaused("w1", (p) => states.push(p));
      await coordinator.setWorkerPaused("w1", true);
      await waitFor("the pause", () => (states.at(-1) === true ? true : undefined));
      expect(await other.pausedWorkers()).toEqual(["w1"]);
      await coordinator.setWorkerPaused("w1", false);
      await waitFor("the resume", () => (states.at(-1) === false ? true : undefined));
      await coordinator.forgetWorker("w1");
      expect(await other.knownWorkers()).not.toContain("w1");
      await stop();
      await other.close();
      await coordinator.close();
    });

    it("delivers wake hints published after the watch began", async () => {
      const { coordinator, peer } = await factory("wakes");
      const other = peer();
      const hints: Array<[number, number]> = [];
      const stop = await other.watchWakes((p, t) => hints.push([p, t]));
      await coordinator.hintWake(3, 12345);
      await waitFor("the hint", () => (hints.length > 0 ? true : undefined));
      expect(hints).toEqual([[3, 12345]]);
      await stop();
      await other.close();
      await coordinator.close();
    });
  });
}
