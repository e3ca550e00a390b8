import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type ManagedProcess, spawnManaged } from "./process.js";

export interface EtcdLaunch {
  /** etcd's data directory (created if missing; kept across restarts). */
  dataDir: string;
  clientPort: number;
  peerPort: number;
  logFile: string;
  tempDir?: string;
}

/** Starts a single-member etcd (3.4 flags) listening on 127.0.0.1 only. */
export async function launchEtcd(launch: EtcdLaunch): Promise<ManagedProcess> {
  mkdirSync(launch.dataDir, { recursive: true, mode: 0o700 });
  const client = `http://127.0.0.1:${launch.clientPort}`;
  const peer = `http://127.0.0.1:${launch.peerPort}`;
  // ETCD_* variables would silently shadow or conflict with these flags: drop them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("ETCD_")),
  );
  return spawnManaged({
    name: "etcd",
    command: "etcd",
    args: [
      "--name=chronoring",
      `--data-dir=${launch.dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=chronoring=${peer}`,
      "--initial-cluster-state=new",
      "--initial-cluster-token=chronoring-local",
      // Without compaction a long-lived dev stack keeps every revision forever.
      "--auto-compaction-mode=periodic",
      "--auto-compaction-retention=1h",
      "--logger=zap",
      "--log-outputs=stderr",
    ],
    env,
    logFile: launch.logFile,
    tempDir: launch.tempDir,
  });
}

/** Ready once etcd has a leader and serves a linearizable read. */
export async function etcdIsReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) return false;
  const body = (await response.json()) as { health?: string };
  return body.health === "true";
}

export function etcdDataDir(runDir: string): string {
  return join(runDir, "etcd");
}
