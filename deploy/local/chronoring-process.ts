import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { logTail, type ManagedProcess, spawnManaged } from "./process.js";

const ROOT = resolve(import.meta.dirname, "../..");

export interface ChronoringProcessOptions {
  /** Shown in logs and errors, e.g. "scheduler-1". */
  name: string;
  /** CHRONORING_* settings (see src/config/config.ts); merged over this process's environment. */
  env: Record<string, string>;
  /** Folder for `<name>.log`. */
  logDir: string;
  /** How long to wait until it answers; default 60 s. */
  readyTimeoutMs?: number;
  /**
   * What to run instead of the sources under tsx, e.g. the built output
   * (`node dist/main.js` in a production layout); `env` merges over `launch.env`.
   */
  launch?: ChronoringLaunch;
}

/** A command that starts a Chronoring node, and the environment it starts in. */
export interface ChronoringLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ChronoringProcess {
  process: ManagedProcess;
  /** http://host:port of the API, when it runs the api role. */
  apiUrl?: string;
  /** URL of its /metrics, when it has one (api role, or CHRONORING_METRICS_PORT). */
  metricsUrl?: string;
}

/**
 * The V8 heap settings every Chronoring process starts with: the image's CMD, `npm start`, the
 * dev stack, the tests and the benchmarks (`nodeArgs`, `builtArgs`). Without them a scheduler
 * under load held 483–494 MB: V8 grew its young generation to 128 MB and its old one to
 * 124–136 MB, most of it garbage waiting for a full collection (the heap in use fell to 54 MB
 * after one). A heap limit of 256 MB makes V8 grow the old generation in small steps (its
 * growing factor for small heaps), and young semi-spaces of 8 MB bound the young one to 16 MB:
 * the same load peaked at 220 MB (241 MB with semi-spaces of 16 MB), and at a million
 * schedules at 229 MB (`loadtest/README.md`, "Scheduler memory under load"). V8's flags hold
 * for the whole process, the dispatch thread's heap too.
 */
export const NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=8",
  "--max-old-space-size=256",
];

/**
 * The build's process entry, `dist/main.js` (as the image runs it); `what` names who asked for
 * it in the error when it is missing.
 */
function builtEntry(what: string): string {
  const entry = join(ROOT, "dist/main.js");
  if (!existsSync(entry)) throw new Error(`${what}: no dist/main.js; run \`npm run build\` first`);
  return entry;
}

/** `node` arguments that start the build as the image does: `NODE_FLAGS`, then `dist/main.js`. */
export function builtArgs(what: string): string[] {
  return [...NODE_FLAGS, builtEntry(what)];
}

/**
 * The arguments to this process's node that start a Chronoring node from this
 * checkout, after `NODE_FLAGS`: `src/main.ts` under tsx; or, with
 * `CHRONORING_TEST_BUILT=1`, the build in `dist/` (`npm test` sets it once its
 * build step has compiled the same sources: a node then starts in about
 * 3.2 CPU-s, not 4.4).
 */
export function nodeArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.CHRONORING_TEST_BUILT === "1"
    ? builtArgs("CHRONORING_TEST_BUILT=1")
    : [...NODE_FLAGS, "--import", "tsx", join(ROOT, "src/main.ts")];
}

/**
 * Starts one Chronoring node (`nodeArgs()` on this process's node, or
 * `options.launch`) as a child process and waits until it answers on its API
 * or metrics port. Used by the dev stack, the e2e tests and the benchmarks,
 * which kill and stop these processes.
 */
export async function startChronoring(
  options: ChronoringProcessOptions,
): Promise<ChronoringProcess> {
  const launch = options.launch ?? {
    command: process.execPath,
    args: nodeArgs(),
    cwd: ROOT,
    env: process.env,
  };
  const env = { ...launch.env, ...options.env };
  const roles = (env.CHRONORING_ROLES ?? "api,scheduler,worker").split(",");
  const host = env.CHRONORING_API_HOST ?? "127.0.0.1";
  const apiPort = env.CHRONORING_API_PORT ?? "7070";
  const metricsPort = env.CHRONORING_METRICS_PORT ?? "0";
  const base = roles.includes("api")
    ? `http://${host}:${apiPort}`
    : metricsPort !== "0"
      ? `http://${host}:${metricsPort}`
      : undefined;
  const child = await spawnManaged({
    name: options.name,
    command: launch.command,
    args: launch.args,
    cwd: launch.cwd,
    env,
    logFile: join(options.logDir, `${options.name}.log`),
  });
  const result: ChronoringProcess = { process: child };
  if (roles.includes("api")) result.apiUrl = base;
  if (base) result.metricsUrl = `${base}/metrics`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  // /healthz is open whatever the auth settings; a bare /metrics behind auth answers 401 once up.
  const probe = result.apiUrl ? `${result.apiUrl}/healthz` : result.metricsUrl;
  while (probe) {
    if (child.hasExited()) {
      throw new Error(`${options.name} exited at start:\n${logTail(child.logFile)}`);
    }
    try {
      const res = await fetch(probe, { signal: AbortSignal.timeout(1000) });
      if (res.ok || res.status === 401) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(
        `${options.name} did not answer within the timeout:\n${logTail(child.logFile)}`,
      );
    }
    await sleep(200);
  }
  return result;
}

/** Reads one metric's value (summed over its labels) from a Prometheus text page. */
export function metricValue(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}
