import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { etcdIsReady } from "../etcd-server.js";
import { logTail, type ManagedProcess, spawnManaged } from "../process.js";
import type { Host, TestNet } from "./hosts.js";

export interface EtcdMember {
  name: string;
  host: Host;
  /** http://<host ip>:2379 */
  clientUrl: string;
  process: ManagedProcess;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** The client URLs, comma-separated (CHRONORING_ETCD_ENDPOINTS). */
  endpoints: string;
  /** The member the given member believes leads, or undefined when it knows none. */
  leader(askMember?: EtcdMember): Promise<EtcdMember | undefined>;
  /** Waits until every member given reports the same leader among them. */
  waitForLeader(among?: EtcdMember[], timeoutMs?: number): Promise<EtcdMember>;
  stop(): Promise<void>;
}

const CLIENT_PORT = 2379;
const PEER_PORT = 2380;

/**
 * Starts an etcd 3.4 cluster of `size` members, each in its own test host
 * (`etcd1`, `etcd2`, ...), listening on the host's address with the standard
 * ports (each namespace has its own). Resolves once every member is healthy,
 * which needs a leader and a quorum.
 */
export async function startEtcdCluster(
  net: TestNet,
  options: { size?: number; logDir: string; timeoutMs?: number },
): Promise<EtcdCluster> {
  const size = options.size ?? 3;
  const hosts: Host[] = [];
  for (let i = 1; i <= size; i++) hosts.push(await net.addHost(`etcd${i}`));
  const dataRoot = mkdtempSync(join(tmpdir(), "chronoring-etcd-cluster-"));
  const initial = hosts.map((h) => `${h.name}=http://${h.ip}:${PEER_PORT}`).join(",");
  // ETCD_* variables would silently shadow or conflict with these flags: drop them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("ETCD_")),
  );
  const members: EtcdMember[] = [];
  const stop = async () => {
    await Promise.all(members.map((m) => m.process.stop(2_000)));
    rmSync(dataRoot, { recursive: true, force: true });
  };
  try {
    for (const host of hosts) {
      const dataDir = join(dataRoot, host.name);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const clientUrl = `http://${host.ip}:${CLIENT_PORT}`;
      const peerUrl = `http://${host.ip}:${PEER_PORT}`;
      const launch = host.wrap("etcd", [
        `--name=${host.name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${initial}`,
        "--initial-cluster-state=new",
        `--initial-cluster-token=chronoring-${net.runId}`,
        "--logger=zap",
        "--log-outputs=stderr",
      ]);
      const child = await spawnManaged({
        name: host.name,
        ...launch,
        env,
        logFile: join(options.logDir, `${host.name}.log`),
      });
      members.push({ name: host.name, host, clientUrl, process: child });
    }
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (const member of members) {
      for (;;) {
        if (member.process.hasExited()) {
          throw new Error(`${member.name} exited at start:\n${logTail(member.process.logFile)}`);
        }
        if (await etcdIsReady(member.clientUrl).catch(() => false)) break;
        if (Date.now() > deadline) {
          throw new Error(`${member.name} not healthy:\n${logTail(member.process.logFile)}`);
        }
        await sleep(200);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const leader = async (ask: EtcdMember = members[0]!) => {
    const status = await memberStatus(ask.clientUrl);
    if (!status || status.leader === "0") return undefined;
    const leaderStatus = await Promise.all(members.map((m) => memberStatus(m.clientUrl)));
    const index = leaderStatus.findIndex((s) => s?.memberId === status.leader);
    return index >= 0 ? members[index] : undefined;
  };
  return {
    members,
    endpoints: members.map((m) => m.clientUrl).join(","),
    leader,
    async waitForLeader(among = members, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = await Promise.all(among.map((m) => memberStatus(m.clientUrl)));
        const first = seen[0]?.leader;
        if (first && first !== "0" && seen.every((s) => s?.leader === first)) {
          // Members cut off from a leader keep naming it until their election timeout.
          const index = seen.findIndex((s) => s?.memberId === first);
          if (index >= 0) return among[index]!;
        }
        if (Date.now() > deadline) throw new Error("etcd members agree on no leader");
        await sleep(200);
      }
    },
    stop,
  };
}

/** Member id and the leader it follows, from etcd's v3 JSON gateway (ids as decimal strings). */
async function memberStatus(
  url: string,
): Promise<{ memberId: string; leader: string } | undefined> {
  try {
    const res = await fetch(`${url}/v3/maintenance/status`, {
      method: "POST",
      body: "{}",
      signal: AbortSignal.timeout(1_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { header?: { member_id?: string }; leader?: string };
    if (!body.header?.member_id) return undefined;
    return { memberId: body.header.member_id, leader: body.leader ?? "0" };
  } catch {
    return undefined;
  }
}
