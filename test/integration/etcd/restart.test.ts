import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../deploy/local/backends.js";
import { etcdIsReady, launchEtcd } from "../../../deploy/local/etcd-server.js";
import type { ManagedProcess } from "../../../deploy/local/process.js";
import { isChronoringError } from "../../../src/core/errors.js";
import type { Member } from "../../../src/core/ports/coordinator.js";
import { etcdFixture, testPrefix, waitFor } from "./fixtures/etcd.js";

const etcd = etcdFixture();
const member = (id: string): Member => ({ id, role: "worker", joinedMs: 1, info: {} });

/** An etcd of this test's own, which it can stop and start again on the same data. */
async function privateEtcd() {
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "chronoring-etcd-"));
  const launch = {
    dataDir: join(dir, "data"),
    clientPort: await freePort(),
    peerPort: await freePort(),
    logFile: join(dir, "etcd.log"),
  };
  const url = `http://127.0.0.1:${launch.clientPort}`;
  let server: ManagedProcess | undefined;
  const start = async () => {
    server = await launchEtcd(launch);
    await waitFor("etcd ready", () => etcdIsReady(url).catch(() => false), 15_000, 50);
    return Date.now();
  };
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url, start, stop };
}

describe("etcd restart", () => {
  const server = privateEtcd();

  it("is ridden out: a long-TTL session stays live, calls work again within 2 s, watches read again and go on", async () => {
    const { url, start, stop } = await server;
    await start();
    const prefix = testPrefix("restart");
    const coordinator = etcd.coordinator(prefix, { endpoints: [url], requestTimeoutMs: 1_000 });
    const session = await coordinator.openSession(8_000);
    await coordinator.register(session, member("before"));
    const seen: string[][] = [];
    await coordinator.watchMembers("worker", (m) => seen.push(m.map((x) => x.id)));

    await stop();
    await expect(coordinator.members("worker")).rejects.toSatisfy((err) =>
      isChronoringError(err, "unavailable"),
    );
    await sleep(1_000);
    const upAt = await start();
    const answeredAt = await waitFor(
      "the coordinator's calls to work again",
      () =>
        coordinator.members("worker").then(
          () => true,
          () => false,
        ),
      5_000,
      50,
    );
    console.info(`[etcd] calls work again ${answeredAt - upAt} ms after etcd is back`);
    // etcd3's default breaker refuses calls for up to 5 s after the outage; ours skips a host for 1 s.
    expect(answeredAt - upAt).toBeLessThan(2_000);

    const other = etcd.coordinator(prefix, { endpoints: [url] });
    await other.register(await other.openSession(8_000), member("after"));
    await waitFor(
      "the watch to report a member added after the restart",
      () => seen.at(-1)?.join() === "after,before",
    );
    expect(session.isLive()).toBe(true);
  });
});
