import { spawnSync } from "node:child_process";
import {
  accessSync,
  chownSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { freePort, tempBase } from "./local-host.js";
import { logTail, type ManagedProcess, spawnManaged } from "./process.js";

/** A throwaway PostgreSQL cluster: see `startPostgres`. */
export interface PostgresServer {
  host: string;
  port: number;
  /** The superuser, with `password` (scram-sha-256 over TCP). */
  user: string;
  password: string;
  /** The database made by initdb. */
  database: string;
  /** Where the unix socket is (trust auth), for tools such as psql. */
  socketDir: string;
  logFile: string;
  pid: number;
  /** Fast shutdown (SIGINT, SIGKILL after 5 s), then the cluster's directory is removed. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Keep the cluster here across starts; absent: a temp dir removed on stop. */
  dataDir?: string;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

const PASSWORD = "chronoring-local";

/**
 * Starts PostgreSQL (Debian's `postgresql` package: run
 * deploy/local/install-backends.sh) in its own cluster: initdb into a temp
 * dir, listening on 127.0.0.1 and a unix socket in that dir. As root it runs
 * as the `postgres` user, since the server refuses to run as root. Tuned for
 * tests: no fsync, small buffers. Resolves once a client can log in.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const t0 = performance.now();
  const bin = postgresBinDir();
  const owner = serverUser();
  const tempDir = options.dataDir ? undefined : mkdtempSync(join(tempBase(), "chronoring-pg-"));
  const root = options.dataDir ?? tempDir!;
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dataDir = join(root, "data");
  const socketDir = join(root, "run");
  const logFile = join(root, "postgres.log");
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  if (owner) for (const dir of [root, socketDir]) chownSync(dir, owner.uid, owner.gid);
  const ids = owner ? { uid: owner.uid, gid: owner.gid } : {};
  if (!existsDir(dataDir)) {
    const pwfile = join(root, "pwfile");
    writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    const init = spawnSync(
      join(bin, "initdb"),
      [
        `--pgdata=${dataDir}`,
        "--username=postgres",
        `--pwfile=${pwfile}`,
        "--auth-host=scram-sha-256",
        "--auth-local=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
        "--no-instructions",
      ],
      { encoding: "utf8", ...ids },
    );
    rmSync(pwfile, { force: true });
    if (init.status !== 0) {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      throw new Error(`postgres: initdb failed (${init.status}): ${init.stderr || init.error}`);
    }
  }
  const port = options.port || (await freePort());
  const child: ManagedProcess = await spawnManaged({
    name: "postgres",
    command: join(bin, "postgres"),
    args: [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-k",
      socketDir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "shared_buffers=16MB",
      "-c",
      "max_connections=50",
    ],
    logFile,
    tempDir,
    stopSignal: "SIGINT",
    ...ids,
  });
  const server: PostgresServer = {
    host: "127.0.0.1",
    port,
    user: "postgres",
    password: PASSWORD,
    database: "postgres",
    socketDir,
    logFile,
    pid: child.pid,
    stop: async () => {
      await child.stop();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let lastError = "";
  while (Date.now() < deadline) {
    if (child.hasExited()) break;
    const client = new pg.Client({ ...server, connectionTimeoutMillis: 2_000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.end();
      options.log?.(
        `postgres ready at ${server.host}:${port} in ${Math.round(performance.now() - t0)} ms (pid ${child.pid}, log ${logFile})`,
      );
      return server;
    } catch (err) {
      lastError = (err as Error).message;
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
  const tail = logTail(logFile);
  await server.stop();
  throw new Error(
    `postgres did not start on port ${port} (${lastError})\n--- ${logFile} ---\n${tail}`,
  );
}

/** The newest installed server's bin dir (Debian: /usr/lib/postgresql/<major>/bin). */
function postgresBinDir(): string {
  const base = "/usr/lib/postgresql";
  let majors: string[] = [];
  try {
    majors = readdirSync(base).filter((d) => /^\d+$/.test(d));
  } catch {}
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) {
    throw new Error(
      "postgres: no server under /usr/lib/postgresql: run deploy/local/install-backends.sh",
    );
  }
  return join(base, newest, "bin");
}

/** As root: the `postgres` user the package made; otherwise this process's own user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("postgres: running as root needs the postgres user (install-backends.sh)");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function existsDir(dir: string): boolean {
  try {
    accessSync(join(dir, "PG_VERSION"), constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
