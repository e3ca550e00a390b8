import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EtcdCluster, startEtcdCluster } from "../../../deploy/local/netns/etcd-cluster.js";
import {
  createTestNet,
  netnsUnavailable,
  run,
  type TestNet,
} from "../../../deploy/local/netns/hosts.js";

const why = await netnsUnavailable();
if (why) console.warn(`[netns] skipped: ${why}`);

/** Whether a process in namespace `ns` reaches `url`'s /health within a second. */
async function reaches(ns: string, url: string): Promise<boolean> {
  const script = `await fetch(${JSON.stringify(`${url}/health`)}, { signal: AbortSignal.timeout(1000) })`;
  return run("ip", [
    "netns",
    "exec",
    ns,
    process.execPath,
    "--input-type=module",
    "-e",
    script,
  ]).then(
    () => true,
    () => false,
  );
}

describe.skipIf(why !== undefined)("test hosts and a 3-member etcd", () => {
  let net: TestNet;
  let cluster: EtcdCluster;
  let logDir: string;
  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), "chronoring-netns-"));
    net = await createTestNet();
    cluster = await startEtcdCluster(net, { logDir });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
    await net?.destroy();
    rmSync(logDir, { recursive: true, force: true });
  });

  it("elects a new leader on the majority side when the leader's member is cut off, and it rejoins after healing", async () => {
    const leader = await cluster.waitForLeader();
    const others = cluster.members.filter((m) => m !== leader);
    for (const other of others) await net.cut(leader.host, other.host);
    const next = await cluster.waitForLeader(others);
    expect(others).toContain(next);
    await net.healAll();
    const healed = await cluster.waitForLeader();
    expect(cluster.members).toContain(healed);
  }, 60_000);

  it("cuts one way: the sender is no longer heard, and healing restores the link", async () => {
    const [a, b] = cluster.members;
    const client = await net.addHost("client");
    expect(await reaches(client.namespace!, a!.clientUrl)).toBe(true);
    await net.cutOneWay(client, a!.host);
    expect(await reaches(client.namespace!, a!.clientUrl)).toBe(false);
    expect(await reaches(client.namespace!, b!.clientUrl)).toBe(true);
    await net.heal(client, a!.host);
    expect(await reaches(client.namespace!, a!.clientUrl)).toBe(true);
  }, 30_000);

  it("removes the namespaces and the bridge it made when destroyed", async () => {
    const scratch = await createTestNet();
    await scratch.addHost("x");
    await scratch.destroy();
    expect(await run("ip", ["netns", "list"])).not.toContain(scratch.runId);
    expect(await run("ip", ["link", "show"])).not.toContain(scratch.runId);
  });
});
