import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { between, type Drop, type Endpoint, renderTable } from "./firewall.js";

/**
 * Test hosts on one machine: a Linux bridge in the root namespace (the
 * "switch", which also holds the gateway address .1) and one network
 * namespace per host, joined to it by a veth pair, in a private /24 under
 * 10.77.0.0/16. Namespaces get no default route, so nothing leaves the
 * machine. Links are cut with nftables rules inside the namespaces; the root
 * namespace's firewall is never touched. Needs root (CAP_NET_ADMIN and
 * CAP_SYS_ADMIN), `ip` (iproute2) and `nft` (nftables).
 */
export interface TestNet {
  /** Part of every name this network creates: `crn-<runId>-<host>`, `crb<runId>`. */
  readonly runId: string;
  /** The root namespace, at the bridge's address (.1): servers there listen on it. */
  readonly gateway: Host;
  /** A new namespace on the bridge, with the next free address. */
  addHost(name: string): Promise<Host>;
  /** Drops every packet between a and b, both ways (only TCP to b's `port`, when given). */
  cut(a: Host, b: Host, options?: { port?: number }): Promise<void>;
  /** Drops packets from `from` to `to` only: `to` no longer hears `from`, `from` still hears `to`. */
  cutOneWay(from: Host, to: Host, options?: { port?: number }): Promise<void>;
  /** Removes every drop between a and b, either way. */
  heal(a: Host, b: Host): Promise<void>;
  healAll(): Promise<void>;
  /** Kills what still runs in the namespaces, deletes them and the bridge. Idempotent. */
  destroy(): Promise<void>;
}

export interface Host extends Endpoint {
  /** `command args` run inside this host's namespace (as is, for the gateway). */
  wrap(command: string, args: string[]): { command: string; args: string[] };
}

const NS_PREFIX = "crn-";
const BRIDGE_PREFIX = "crb";

/** Runs a command; rejects with its stderr when it fails. */
export async function run(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} failed (${code}): ${err.trim()}`));
    });
    child.stdin?.end(input);
  });
}

/**
 * Why test hosts cannot be made here (not root, no `ip` or `nft`, namespaces
 * not permitted), or undefined when they can. Tries a throwaway namespace.
 */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return "test hosts need root (ip netns, veth, nftables)";
  const probe = `${NS_PREFIX}probe-${process.pid}`;
  try {
    await run("nft", ["--version"]);
    await run("ip", ["netns", "add", probe]);
    await run("ip", ["netns", "exec", probe, "nft", "list", "ruleset"]);
    return undefined;
  } catch (error) {
    return `test hosts unavailable: ${(error as Error).message} (run deploy/local/install-backends.sh as root)`;
  } finally {
    await run("ip", ["netns", "del", probe]).catch(() => {});
  }
}

/** Creates the bridge of a new test network; sweeps networks left by dead processes first. */
export async function createTestNet(log: (line: string) => void = () => {}): Promise<TestNet> {
  await sweepStaleNets(log);
  // runId = 3 random chars, then the owner's pid in base 36, which the sweep reads back.
  const runId = `${randomBytes(2).toString("hex").slice(0, 3)}${process.pid.toString(36)}`;
  const bridge = `${BRIDGE_PREFIX}${runId}`;
  const subnet = await freeSubnet();
  await run("ip", ["link", "add", bridge, "type", "bridge"]);
  const hosts: Host[] = [];
  let drops: Drop[] = [];
  let nextIndex = 2;
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    process.removeListener("exit", destroySync);
    for (const host of hosts) if (host.namespace) await removeNamespace(host.namespace);
    await run("ip", ["link", "del", bridge]).catch(() => {});
  };
  // An exit (a thrown error, process.exit) runs no async code: remove synchronously. After a
  // SIGKILL the sweep of the next run removes what is left.
  const destroySync = () => {
    if (destroyed) return;
    destroyed = true;
    for (const host of hosts) {
      if (!host.namespace) continue;
      const pids = spawnSync("ip", ["netns", "pids", host.namespace], { encoding: "utf8" });
      for (const pid of (pids.stdout ?? "").split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {}
      }
      spawnSync("ip", ["netns", "del", host.namespace]);
    }
    spawnSync("ip", ["link", "del", bridge]);
  };
  process.once("exit", destroySync);
  try {
    await run("ip", ["addr", "add", `${subnet}.1/24`, "dev", bridge]);
    await run("ip", ["link", "set", bridge, "up"]);
  } catch (error) {
    await destroy();
    throw error;
  }
  const gateway = makeHost("gateway", `${subnet}.1`, undefined);

  const apply = async (namespaces: Set<string | undefined>) => {
    for (const ns of namespaces) {
      if (!ns) continue;
      await run("ip", ["netns", "exec", ns, "nft", "-f", "-"], renderTable(ns, drops));
    }
  };
  const touched = (list: Drop[]) =>
    new Set(list.flatMap((d) => [d.from.namespace, d.to.namespace]));
  const add = async (added: Drop[]) => {
    drops = [...drops, ...added];
    await apply(touched(added));
  };

  return {
    runId,
    gateway,
    async addHost(name) {
      if (!/^[a-z0-9-]{1,20}$/.test(name)) throw new Error(`host name ${name}: use [a-z0-9-]`);
      // Taken before the first await: hosts may be added concurrently.
      const index = nextIndex++;
      if (index > 254) throw new Error("a test network holds at most 253 hosts");
      const ns = `${NS_PREFIX}${runId}-${name}`;
      const veth = `crv${runId}${index.toString(36)}`;
      const ip = `${subnet}.${index}`;
      await run("ip", ["netns", "add", ns]);
      const host = makeHost(name, ip, ns);
      hosts.push(host);
      await run("ip", ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      await run("ip", ["link", "set", veth, "master", bridge, "up"]);
      await run("ip", ["-n", ns, "addr", "add", `${ip}/24`, "dev", "eth0"]);
      await run("ip", ["-n", ns, "link", "set", "eth0", "up"]);
      await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
      return host;
    },
    async cut(a, b, options = {}) {
      const { port } = options;
      await add(
        port === undefined
          ? [
              { from: a, to: b },
              { from: b, to: a },
            ]
          : [
              { from: a, to: b, dport: port },
              { from: b, to: a, sport: port },
            ],
      );
    },
    async cutOneWay(from, to, options = {}) {
      await add([{ from, to, ...(options.port === undefined ? {} : { dport: options.port }) }]);
    },
    async heal(a, b) {
      const removed = drops.filter((d) => between(d, a, b));
      drops = drops.filter((d) => !between(d, a, b));
      await apply(touched(removed));
    },
    async healAll() {
      const removed = drops;
      drops = [];
      await apply(touched(removed));
    },
    destroy,
  };
}

function makeHost(name: string, ip: string, namespace: string | undefined): Host {
  return {
    name,
    ip,
    namespace,
    wrap: (command, args) =>
      namespace
        ? { command: "ip", args: ["netns", "exec", namespace, command, ...args] }
        : { command, args },
  };
}

/** The first 10.77.N (N in 0..255) with no address on this machine. */
async function freeSubnet(): Promise<string> {
  const used = await run("ip", ["-o", "-4", "addr", "show"]);
  for (let n = 0; n < 256; n++) {
    if (!used.includes(` 10.77.${n}.`)) return `10.77.${n}`;
  }
  throw new Error("no free /24 under 10.77.0.0/16 for a test network");
}

async function removeNamespace(ns: string): Promise<void> {
  // Deleting a namespace's name does not end its processes: kill them first.
  const pids = await run("ip", ["netns", "pids", ns]).catch(() => "");
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {}
  }
  await run("ip", ["netns", "del", ns]).catch(() => {});
}

/**
 * Removes the namespaces and bridges of test networks whose owner process is
 * gone (it was SIGKILLed, or crashed before `destroy`).
 */
export async function sweepStaleNets(log: (line: string) => void = () => {}): Promise<void> {
  const owner = (runId: string) => Number.parseInt(runId.slice(3), 36);
  const namespaces = (await run("ip", ["netns", "list"]))
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((ns) => ns.startsWith(NS_PREFIX) && !ns.startsWith(`${NS_PREFIX}probe-`));
  for (const ns of namespaces) {
    const runId = ns.slice(NS_PREFIX.length).split("-")[0] ?? "";
    if (isAlive(owner(runId))) continue;
    log(`removing stale test host ${ns}`);
    await removeNamespace(ns);
  }
  const bridges = (await run("ip", ["-o", "link", "show", "type", "bridge"]))
    .split("\n")
    .map((line) => line.split(": ")[1]?.split("@")[0] ?? "")
    .filter((name) => name.startsWith(BRIDGE_PREFIX));
  for (const bridge of bridges) {
    if (isAlive(owner(bridge.slice(BRIDGE_PREFIX.length)))) continue;
    log(`removing stale test bridge ${bridge}`);
    await run("ip", ["link", "del", bridge]).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
