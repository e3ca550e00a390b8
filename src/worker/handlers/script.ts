/**
 * The script handler: runs an allow-listed command without a shell, with
 * least privilege, bounded in time, CPU, processes, memory and recorded output.
 *
 * - Only a `command` equal to an allow-list entry runs, found on a fixed PATH.
 * - **User**: given `user` (the app does when the worker runs as root), the
 *   command runs as that unprivileged uid/gid with no supplementary groups;
 *   otherwise as the worker's own user.
 * - **Working directory**: a fresh one per run, owned by that user, also its
 *   HOME and TMPDIR, removed afterwards (`script-workdir.ts`).
 * - **Environment**: built from an allow-list (`script-env.ts`); a job that
 *   sets a name changing which code the command loads fails without running.
 * - **Limits**: RLIMIT_CPU from the timeout, RLIMIT_NPROC, RLIMIT_DATA, no
 *   core dumps, killed when the worker dies, no new privileges
 *   (`script-limits.ts`).
 * - The child leads its own process group, so a timeout or abort reaches the
 *   processes it started too: SIGTERM, then SIGKILL after a grace period
 *   (`script-process.ts`).
 */
import { accessSync, constants } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { type Clock, systemClock } from "../../core/clock.js";
import type { ScriptTarget } from "../../core/job.js";
import type { JobHandler } from "./handler.js";
import { refusedJobEnv, scriptEnv, scriptEnvPolicy } from "./script-env.js";
import { limitedArgv, type ScriptLimits } from "./script-limits.js";
import { describe, runProcess } from "./script-process.js";
import { createWorkDir, type RunAs, removeWorkDir } from "./script-workdir.js";
import { assertByteLimit, clampText, DEFAULT_MAX_OUTPUT_BYTES } from "./truncate.js";

/**
 * RLIMIT_DATA counts what a runtime reserves writable, not only what it uses:
 * Node 24 maps a 510 MiB read-write-execute code range at start (VmData about
 * 560 MiB before any script code runs; Node 20 about 50 MiB), so it cannot
 * start under 580 MiB. 1 GiB leaves a Node 24 script about 450 MiB of its own.
 */
export const DEFAULT_SCRIPT_MEMORY_MB = 1024;
export const DEFAULT_SCRIPT_MAX_PROCS = 256;
/** Time between SIGTERM and SIGKILL when a run is stopped. */
export const DEFAULT_KILL_GRACE_MS = 2000;

export interface ScriptHandlerOptions {
  /** Exact `command` strings that may run. */
  allowList: string[];
  /** Cap on the summary (status line + output), in UTF-8 bytes. Default 4096. */
  maxOutputBytes?: number;
  /** RLIMIT_DATA per process, in MiB; 0 disables it. Default 1024. */
  memoryMb?: number;
  /** RLIMIT_NPROC (every process and thread of the script's uid); 0 disables it. Default 256. */
  maxProcs?: number;
  /** SIGTERM → SIGKILL grace when a run is stopped. Default 2000 ms. */
  killGraceMs?: number;
  /** Runs scripts as this user (the worker must be root); absent: as the worker's user. */
  user?: RunAs;
  /** Names passed from `workerEnv` to scripts, and that a job's env may set although they load code. */
  envAllow?: string[];
  /** The worker's environment, read once here. Default `process.env`. */
  workerEnv?: NodeJS.ProcessEnv;
  /** Where runs' working directories are made. Default the worker's temp directory. */
  workRoot?: string;
  /** The job's timeout and the kill grace run on it. Default the system clock. */
  clock?: Clock;
}

export function createScriptHandler(opts: ScriptHandlerOptions): JobHandler<ScriptTarget> {
  const allowed = new Set(opts.allowList);
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  assertByteLimit(maxBytes, "maxOutputBytes");
  const memoryMb = wholeNumber(opts.memoryMb ?? DEFAULT_SCRIPT_MEMORY_MB, "memoryMb");
  const maxProcs = wholeNumber(opts.maxProcs ?? DEFAULT_SCRIPT_MAX_PROCS, "maxProcs");
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const linux = process.platform === "linux";
  const limits: ScriptLimits = {
    prlimit: linux ? findExecutable("prlimit") : undefined,
    setpriv: linux ? findExecutable("setpriv") : undefined,
    memoryMb,
    maxProcs,
    killGraceMs: graceMs,
  };
  const envPolicy = scriptEnvPolicy(opts.envAllow ?? [], opts.workerEnv ?? process.env);
  const workRoot = opts.workRoot ?? tmpdir();
  const user = opts.user;
  let warnedUnlimited = false;

  return {
    type: "script",
    async run(target, ctx) {
      if (target.type !== "script")
        throw new TypeError(`script handler got a ${target.type} target`);
      if (!allowed.has(target.command)) {
        return {
          ok: false,
          summary: clampText(
            `command ${JSON.stringify(target.command)} is not on the worker's allow-list`,
            maxBytes,
          ),
          retryable: false,
        };
      }
      const refused = refusedJobEnv(envPolicy, target.env);
      if (refused !== undefined) {
        return {
          ok: false,
          summary: clampText(
            `env ${JSON.stringify(refused)} may not be set by a job: it changes which code the command loads (a worker admits it only when it is in CHRONORING_SCRIPT_ENV_ALLOW)`,
            maxBytes,
          ),
          retryable: false,
        };
      }
      if (ctx.signal.aborted)
        return { ok: false, summary: "aborted before start", retryable: true };
      if (limits.prlimit === undefined && !warnedUnlimited) {
        warnedUnlimited = true;
        ctx.logger.warn(
          { memoryMb, maxProcs },
          "prlimit not found: scripts run without CPU, process and memory limits",
        );
      }
      let workDir: string;
      try {
        workDir = await createWorkDir(workRoot, user);
      } catch (err) {
        return {
          ok: false,
          summary: clampText(`could not create a working directory: ${describe(err)}`, maxBytes),
          retryable: true,
        };
      }
      try {
        const result = await runProcess(
          {
            argv: limitedArgv(limits, target.command, target.args, target.timeoutMs),
            env: scriptEnv(envPolicy, target.env, ctx, workDir),
            cwd: workDir,
            uid: user?.uid,
            gid: user?.gid,
            timeoutMs: target.timeoutMs,
            graceMs,
            maxBytes,
            clock: opts.clock ?? systemClock,
          },
          ctx,
        );
        // A non-zero exit, a timeout or a failed start may pass: retryable.
        return result.ok ? result : { ...result, retryable: true };
      } finally {
        await removeWorkDir(workDir, user, ctx.logger);
      }
    },
  };
}

function wholeNumber(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

/** Absolute path of an executable on the worker's PATH, resolved once at start. */
function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
