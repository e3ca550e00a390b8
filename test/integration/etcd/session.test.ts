import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { EtcdSession } from "../../../src/adapters/etcd/session.js";
import { isChronoringError } from "../../../src/core/errors.js";
import type { Member } from "../../../src/core/ports/coordinator.js";
import { etcdFixture, testPrefix, waitFor } from "./fixtures/etcd.js";
import { startHolder } from "./fixtures/holder.js";

const TTL_MS = 2_000;
const etcd = etcdFixture();

const member = (id: string): Member => ({ id, role: "scheduler", joinedMs: 1, info: {} });
const memberKey = (prefix: string, id: string) => `${prefix}members/scheduler/${id}`;

describe("etcd session", () => {
  it("stays live, and its lease alive at etcd, for 2.5 TTLs while kept alive, telling each renewal", async () => {
    const prefix = testPrefix("session-live");
    const coordinator = etcd.coordinator(prefix);
    const session = await coordinator.openSession(TTL_MS);
    let lost = 0;
    let renewed = 0;
    session.onLost(() => lost++);
    session.onRenewed(() => renewed++);
    await coordinator.register(session, member("n1"));

    const end = Date.now() + 2.5 * TTL_MS;
    while (Date.now() < end) {
      expect(session.isLive()).toBe(true);
      await sleep(100);
    }
    expect(lost).toBe(0);
    expect(await etcd.raw.get(memberKey(prefix, "n1")).string()).not.toBeNull();
    const atEtcd = await etcd.raw.leaseClient.leaseTimeToLive({
      ID: BigInt(`0x${session.id}`).toString(),
    });
    expect(Number(atEtcd.TTL)).toBeGreaterThan(0);

    // A keep-alive every TTL/3: about 7 in 2.5 TTLs, on a busy machine fewer.
    expect(renewed).toBeGreaterThanOrEqual(3);

    await session.close();
    expect(session.isLive()).toBe(false);
    expect(await etcd.raw.get(memberKey(prefix, "n1")).string()).toBeNull();
    expect(lost).toBe(0); // close is not a loss
    const atClose = renewed;
    await sleep(TTL_MS / 2);
    expect(renewed).toBe(atClose);
  });

  it("whose keep-alives stop turns isLive() false at its own deadline, fires onLost once and withdraws its keys", async () => {
    const prefix = testPrefix("session-suspend");
    const coordinator = etcd.coordinator(prefix);
    const session = await coordinator.openSession(TTL_MS);
    expect(session).toBeInstanceOf(EtcdSession);
    const etcdSession = session as EtcdSession;
    await coordinator.register(session, member("n1"));
    let lost = 0;
    session.onLost(() => lost++);

    etcdSession.suspendKeepAlives();
    const suspendedAt = Date.now();
    const deadline = etcdSession.deadline();
    const notLiveAt = await waitFor("isLive() false", () => !session.isLive(), 2 * TTL_MS, 5);
    // The deadline is TTL − margin after the last acknowledged keep-alive was sent.
    expect(notLiveAt).toBeGreaterThanOrEqual(deadline);
    expect(notLiveAt - suspendedAt).toBeLessThan(TTL_MS);
    // etcd cannot expire the lease before the last acknowledged keep-alive was sent + TTL.
    expect(notLiveAt).toBeLessThan(deadline - etcdSession.marginMs + TTL_MS);
    await waitFor("onLost", () => lost === 1, 500);
    // It revokes its own lease at once rather than waiting for etcd's expiry.
    await waitFor(
      "member key gone",
      async () => !(await etcd.raw.get(memberKey(prefix, "n1")).exists()),
      1_000,
    );
    await sleep(200);
    expect(lost).toBe(1);
    await expect(coordinator.register(session, member("n2"))).rejects.toSatisfy((err) =>
      isChronoringError(err, "failed_precondition"),
    );
  });

  it("of a frozen (SIGSTOPped) process loses its member key within TTL + 0.5 s, after the process's own deadline", async () => {
    const prefix = testPrefix("session-sigstop");
    const holder = startHolder({
      endpoint: etcd.endpoint,
      prefix,
      ttlMs: TTL_MS,
      id: "frozen",
      campaign: false,
    });
    try {
      await holder.next("registered");
      // Let a few keep-alives go by so the stop lands at a random point of the cycle.
      await sleep(900);
      const stoppedAt = holder.signal("SIGSTOP");
      const goneAt = await waitFor(
        "frozen member key gone",
        async () => !(await etcd.raw.get(memberKey(prefix, "frozen")).exists()),
        2 * TTL_MS,
        10,
      );
      holder.child.kill("SIGCONT");
      // On waking, the holder finds its own deadline passed and says so.
      const lost = await holder.next("lost", 3_000);
      const ownDeadline = Number(lost.deadline);
      console.info(
        `[etcd] SIGSTOP → key gone ${goneAt - stoppedAt} ms (TTL ${TTL_MS}); own deadline ${goneAt - ownDeadline} ms before that`,
      );
      expect(goneAt - stoppedAt).toBeLessThanOrEqual(TTL_MS + 500);
      expect(ownDeadline).toBeLessThan(goneAt);
    } finally {
      holder.dispose();
    }
  });

  it("cannot be opened on an unreachable etcd: calls fail with unavailable within the request timeout", async () => {
    const coordinator = etcd.coordinator(testPrefix("unreachable"), {
      endpoints: ["http://127.0.0.1:1"],
      requestTimeoutMs: 1_000,
    });
    const started = Date.now();
    await expect(coordinator.openSession(TTL_MS)).rejects.toSatisfy((err) =>
      isChronoringError(err, "unavailable"),
    );
    await expect(coordinator.members("worker")).rejects.toSatisfy((err) =>
      isChronoringError(err, "unavailable"),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
