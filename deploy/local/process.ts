import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A backend server running as a child of this process, its output going to a log file. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the child has exited. */
  readonly exited: Promise<string>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** Removed by the exit hook and by the orphan sweep if this process dies without cleaning up. */
  tempDir?: string;
  /** Run as this user (this process must be root): PostgreSQL refuses to run as root. */
  uid?: number;
  gid?: number;
  /** What `stop` sends first; default SIGTERM (PostgreSQL: SIGINT, a fast shutdown). */
  stopSignal?: NodeJS.Signals;
}

const live = new Set<LiveEntry>();
interface LiveEntry {
  child: ChildProcess;
  registryFile: string | undefined;
  tempDir: string | undefined;
}

/**
 * Starts `command` with stdout and stderr appended to `logFile`. The child is killed when this
 * process exits, on SIGINT/SIGTERM/SIGHUP, and (if this process is SIGKILLed) by the orphan
 * sweep of the next `startBackends` on this machine.
 */
export async function spawnManaged(options: SpawnOptions): Promise<ManagedProcess> {
  installExitHooks();
  const fd = openSync(options.logFile, "a");
  writeSync(fd, `\n=== ${new Date().toISOString()} ${options.command} ${options.args.join(" ")}\n`);
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", fd, fd],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
  } finally {
    closeSync(fd);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid!));
    child.once("error", (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === "ENOENT"
          ? ` (is \`${options.command}\` installed? run deploy/local/install-backends.sh)`
          : "";
      reject(
        new Error(`${options.name}: cannot start ${options.command}${hint}`, { cause: error }),
      );
    });
  });
  let exitedWith: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => {
      exitedWith = signal ?? String(code);
      resolve(exitedWith);
    });
  });
  const entry: LiveEntry = {
    child,
    registryFile: register(pid, options.tempDir),
    tempDir: options.tempDir,
  };
  live.add(entry);
  void exited.then(() => {
    live.delete(entry);
    if (entry.registryFile) rmSync(entry.registryFile, { force: true });
  });
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    hasExited: () => exitedWith !== undefined,
    async stop(graceMs = 5_000) {
      if (exitedWith !== undefined) return;
      child.kill(options.stopSignal ?? "SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last `bytes` of a log file, for error messages. */
export function logTail(file: string, bytes = 3_000): string {
  try {
    const size = statSync(file).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    const fd = openSync(file, "r");
    try {
      readSync(fd, buffer, 0, buffer.length, start);
    } finally {
      closeSync(fd);
    }
    return buffer.toString("utf8").trimEnd();
  } catch {
    return "(no log)";
  }
}

let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: signal the children and leave; they exit on their own.
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      killAllNow();
      // If nobody else handles this signal, restore the default action (exit with 128+n)
      // instead of swallowing it, which merely adding a listener would do.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function killAllNow(): void {
  for (const entry of live) {
    entry.child.kill("SIGTERM");
    if (entry.registryFile) rmSync(entry.registryFile, { force: true });
    if (entry.tempDir) rmSync(entry.tempDir, { recursive: true, force: true });
  }
  live.clear();
}

// --- Orphan sweep -------------------------------------------------------------------------
// A parent that is SIGKILLed runs no hook, so each child is also recorded in a registry file
// naming its owner. The next start kills recorded children whose owner is gone, after checking
// that the pid still runs the very command line recorded (pids get reused).

const registryDir = join(tmpdir(), "chronoring-backends", "pids");

function register(pid: number, tempDir: string | undefined): string | undefined {
  const cmdline = readCmdline(pid);
  if (cmdline === undefined) return undefined;
  mkdirSync(registryDir, { recursive: true });
  const file = join(registryDir, `${pid}.json`);
  writeFileSync(file, JSON.stringify({ owner: process.pid, pid, cmdline, tempDir }));
  return file;
}

/** Kills backends left behind by a process that died without stopping them. Linux only. */
export function sweepOrphans(log: (line: string) => void): void {
  if (!existsSync(registryDir)) return;
  for (const name of readdirSync(registryDir)) {
    const file = join(registryDir, name);
    let record: { owner: number; pid: number; cmdline: string; tempDir?: string };
    try {
      record = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    if (isAlive(record.owner)) continue;
    if (readCmdline(record.pid) === record.cmdline) {
      log(`killing orphaned backend pid ${record.pid} (owner ${record.owner} is gone)`);
      try {
        process.kill(record.pid, "SIGKILL");
      } catch {}
    }
    if (record.tempDir) rmSync(record.tempDir, { recursive: true, force: true });
    try {
      unlinkSync(file);
    } catch {}
  }
}

function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return undefined;
  }
}

/** Whether a process of this id exists (one of another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
