/** What the script handler's tests share: a run context, a `node -e` target, process probes. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { pino } from "pino";
import { resolveScriptUser } from "../../../src/config/script-user.js";
import type { ScriptTarget } from "../../../src/core/job.js";
import type { RunContext } from "../../../src/worker/handlers/registry.js";

export const hasPrlimit = process.platform === "linux" && existsSync("/usr/bin/prlimit");
export const isRoot = process.getuid?.() === 0;

/** Whether other users may run `path`: every directory on the way searchable, the file executable. */
function runnableByOthers(path: string): boolean {
  if (!existsSync(path) || !(statSync(path).mode & 0o001)) return false;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (!(statSync(dir).mode & 0o001)) return false;
    if (dirname(dir) === dir) return true;
  }
}

/**
 * The node the test scripts run: this one, unless the tests run as root
 * (scripts then run as `nobody`) from a checkout `nobody` cannot reach (a
 * clone under a private temporary folder); then a system node.
 */
export const NODE =
  !isRoot || runnableByOthers(process.execPath)
    ? process.execPath
    : (["/usr/bin/node", "/usr/local/bin/node"].find(runnableByOthers) ?? process.execPath);
/**
 * Who scripts run as in these tests: `nobody` when the tests run as root, as
 * a root worker's scripts do; otherwise the tests' own user.
 */
export const RUN_AS = isRoot ? resolveScriptUser("nobody", "test user") : undefined;

/** A target running `command args` with the job's `env`. */
export function script(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): ScriptTarget {
  return { type: "script", command, args, env, timeoutMs: 10_000 };
}

/** The variables a script printed with `env`, after the status line. */
export function printedEnv(summary: string): Record<string, string> {
  const lines = summary.split("\n").slice(1).filter(Boolean);
  return Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

export function context(signal = new AbortController().signal): RunContext {
  return {
    executionId: "job_01hx:1700000000000:3",
    jobId: "job_01hx",
    scheduledMs: 1_700_000_000_000,
    attempt: 3,
    signal,
    logger: pino({ level: "silent" }),
  };
}

/** A target running `node -e code`. */
export function node(code: string, extra: Partial<ScriptTarget> = {}): ScriptTarget {
  return {
    type: "script",
    command: NODE,
    args: ["-e", code],
    env: {},
    timeoutMs: 10_000,
    ...extra,
  };
}

/** Running, i.e. neither gone nor a zombie waiting for init to reap it. */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== "linux") return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export async function eventually(check: () => boolean, ms = 1000): Promise<boolean> {
  const until = performance.now() + ms;
  while (!check()) {
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
