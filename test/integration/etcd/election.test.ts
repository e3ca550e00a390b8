import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { EtcdSession } from "../../../src/adapters/etcd/session.js";
import type { Coordinator, Leadership } from "../../../src/core/ports/coordinator.js";
import { etcdFixture, isSettled, testPrefix, waitFor } from "./fixtures/etcd.js";
import { startHolder } from "./fixtures/holder.js";

const TTL_MS = 2_000;
const etcd = etcdFixture();

/**
 * The heir's own session in the SIGKILL test: what is timed is the killed leader's lease
 * (TTL_MS), and a 2 s session of the test process's own lapsed in a CI run whose three
 * files at a time kept this process from its keep-alives ("etcd session ended during the
 * campaign").
 */
const HEIR_TTL_MS = 10_000;

/** Campaigns for `id` on a session of its own; `lost` counts the leadership's onLost calls. */
async function candidate(coordinator: Coordinator, id: string, ttlMs = TTL_MS) {
  const session = await coordinator.openSession(ttlMs);
  const state = { id, session, lost: 0, leadership: undefined as Leadership | undefined };
  const elected = coordinator.campaign(session, id).then((leadership) => {
    state.leadership = leadership;
    leadership.onLost(() => state.lost++);
    return state;
  });
  return { state, elected };
}

describe("etcd election", () => {
  it("elects exactly one of three candidates, and the next one when the leader's session is revoked", async () => {
    const prefix = testPrefix("elect-three");
    const coordinators = [1, 2, 3].map(() => etcd.coordinator(prefix));
    const candidates = [];
    for (const [i, c] of coordinators.entries()) candidates.push(await candidate(c, `n${i + 1}`));

    const first = await Promise.race(candidates.map((c) => c.elected));
    await sleep(300);
    const settled = await Promise.all(candidates.map((c) => isSettled(c.elected)));
    expect(settled.filter(Boolean)).toHaveLength(1);
    expect(first.leadership!.isLeader()).toBe(true);
    expect(await coordinators[0]!.leader()).toBe(first.id);

    const revokedAt = Date.now();
    await first.session.close();
    const rest = candidates.filter((c) => c.state !== first);
    const second = await Promise.race(rest.map((c) => c.elected));
    console.info(
      `[etcd] takeover after the leader's session was revoked: ${Date.now() - revokedAt} ms`,
    );
    expect(first.leadership!.isLeader()).toBe(false);
    expect(first.lost).toBe(1);
    expect(second.leadership!.isLeader()).toBe(true);
    expect(second.leadership!.term).toBeGreaterThan(first.leadership!.term);
    await sleep(200);
    expect((await Promise.all(rest.map((c) => isSettled(c.elected)))).filter(Boolean)).toHaveLength(
      1,
    );
    expect(await coordinators[0]!.leader()).toBe(second.id);
  });

  it("hands leadership over within TTL + 1 s when the leader's process is SIGKILLed (TTL 2 s)", async () => {
    const takeovers: number[] = [];
    for (let round = 0; round < 3; round++) {
      const prefix = testPrefix(`elect-kill-${round}`);
      const holder = startHolder({
        endpoint: etcd.endpoint,
        prefix,
        ttlMs: TTL_MS,
        id: "doomed",
        campaign: true,
      });
      try {
        await holder.next("leader");
        const coordinator = etcd.coordinator(prefix);
        const next = await candidate(coordinator, "heir", HEIR_TTL_MS);
        // Spread the kill over the keep-alive cycle.
        await sleep(300 + round * 250);
        expect(await isSettled(next.elected)).toBe(false);
        const killedAt = holder.signal("SIGKILL");
        const heir = await next.elected;
        takeovers.push(Date.now() - killedAt);
        expect(heir.leadership!.isLeader()).toBe(true);
        expect(await coordinator.leader()).toBe("heir");
      } finally {
        holder.dispose();
      }
    }
    console.info(
      `[etcd] takeover after SIGKILL of the leader (TTL ${TTL_MS} ms): ${takeovers.join(", ")} ms`,
    );
    // Lease expiry (≤ TTL after the last keep-alive, + etcd's 500 ms expiry sweep), then the heir's watch and reads.
    for (const ms of takeovers) expect(ms).toBeLessThanOrEqual(TTL_MS + 1_000);
  });

  it("resign hands leadership to the next candidate at once", async () => {
    const coordinator = etcd.coordinator(testPrefix("elect-resign"));
    const a = await candidate(coordinator, "a");
    const leader = await a.elected;
    const b = await candidate(coordinator, "b");
    await sleep(100);
    expect(await isSettled(b.elected)).toBe(false);

    const resignedAt = Date.now();
    await leader.leadership!.resign();
    expect(leader.leadership!.isLeader()).toBe(false);
    expect(leader.lost).toBe(1);
    const heir = await b.elected;
    expect(Date.now() - resignedAt).toBeLessThan(1_000);
    expect(heir.leadership!.isLeader()).toBe(true);
    expect(await coordinator.leader()).toBe("b");
    // The resigned session is still live and can campaign again, behind b.
    expect(leader.session.isLive()).toBe(true);
  });

  it("ends leadership when the session's own deadline passes, before etcd expires the lease", async () => {
    const coordinator = etcd.coordinator(testPrefix("elect-deadline"));
    const a = await candidate(coordinator, "a");
    const leader = await a.elected;
    const session = leader.session as EtcdSession;
    session.suspendKeepAlives();
    // etcd cannot expire the lease before the last acknowledged keep-alive was sent + TTL.
    const lastAckSent = session.deadline() - (TTL_MS - session.marginMs);
    const endedAt = await waitFor(
      "leadership lost",
      () => !leader.leadership!.isLeader(),
      TTL_MS,
      5,
    );
    expect(endedAt).toBeLessThan(lastAckSent + TTL_MS);
    await waitFor("onLost", () => leader.lost === 1, 500);
  });

  it("a campaign whose signal aborts rejects and withdraws from the line", async () => {
    const coordinator = etcd.coordinator(testPrefix("elect-abort"));
    const a = await candidate(coordinator, "a");
    const leader = await a.elected;
    const session = await coordinator.openSession(TTL_MS);
    const abort = new AbortController();
    const waiting = coordinator.campaign(session, "b", abort.signal);
    await sleep(100);
    abort.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    await leader.leadership!.resign();
    expect(await coordinator.leader()).toBeUndefined();
    expect(session.isLive()).toBe(true);
  });
});
