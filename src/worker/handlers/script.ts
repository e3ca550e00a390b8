/**
 * The script handler: runs an allow-listed command without a shell, bounded
 * in time, memory and recorded output.
 *
 * - Only a `command` equal to an allow-list entry runs; the job cannot set
 *   PATH or the dynamic loader's variables, which would change what it names.
 * - The child leads its own process group, so a timeout or abort reaches the
 *   processes it started too: SIGTERM, then SIGKILL after a grace period.
 * - Memory: on Linux the command is started through util-linux `prlimit`
 *   with `--data`, i.e. RLIMIT_DATA (heap and private writable mappings; Linux
 *   ≥ 4.7). Not `--as` (RLIMIT_AS): V8 reserves gigabytes of address space up
 *   front, so any address-space cap that means anything stops `node` from
 *   starting. Node has no setrlimit and spawn has no pre-exec hook, hence the
 *   wrapper; prlimit execs the command, so the child pid stays the command's.
 *   The cap applies to each process, not to the tree. Without `prlimit` (not
 *   Linux, or util-linux missing) scripts run uncapped and the first run logs
 *   a warning.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { ScriptTarget } from "../../core/job.js";
import type { JobHandler, RunContext } from "./handler.js";
import { runProcess } from "./script-process.js";
import { assertByteLimit, clampText, DEFAULT_MAX_OUTPUT_BYTES } from "./truncate.js";

export const DEFAULT_SCRIPT_MEMORY_MB = 256;
/** Time between SIGTERM and SIGKILL when a run is stopped. */
export const DEFAULT_KILL_GRACE_MS = 2000;

/** Variables passed from the worker's own environment; everything else comes from the job. */
const INHERITED_ENV = ["PATH", "HOME", "LANG", "TZ", "TMPDIR"] as const;
/** Variables a job may not set: they would change which code the allow-listed command runs. */
const FORBIDDEN_ENV = /^(PATH|LD_.*|DYLD_.*)$/;

export interface ScriptHandlerOptions {
  /** Exact `command` strings that may run. */
  allowList: string[];
  /** Cap on the summary (status line + output), in UTF-8 bytes. Default 4096. */
  maxOutputBytes?: number;
  /** RLIMIT_DATA per process, in MiB; 0 disables it. Default 256. */
  memoryMb?: number;
  /** SIGTERM → SIGKILL grace when a run is stopped. Default 2000 ms. */
  killGraceMs?: number;
}

export function createScriptHandler(opts: ScriptHandlerOptions): JobHandler<ScriptTarget> {
  const allowed = new Set(opts.allowList);
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  assertByteLimit(maxBytes, "maxOutputBytes");
  const memoryMb = opts.memoryMb ?? DEFAULT_SCRIPT_MEMORY_MB;
  if (!Number.isSafeInteger(memoryMb) || memoryMb < 0) {
    throw new RangeError(`memoryMb must be a non-negative integer, got ${memoryMb}`);
  }
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const prlimit =
    memoryMb > 0 && process.platform === "linux" ? findExecutable("prlimit") : undefined;
  // The script runs in its own process group, so it would outlive a worker
  // killed with SIGKILL (and run beside the re-queued attempt): util-linux
  // setpriv makes the kernel kill it when the worker dies.
  const setpriv = process.platform === "linux" ? findExecutable("setpriv") : undefined;
  let warnedUncapped = false;

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
      const forbidden = Object.keys(target.env).find((key) => FORBIDDEN_ENV.test(key));
      if (forbidden !== undefined) {
        return {
          ok: false,
          summary: `env ${JSON.stringify(forbidden)} may not be set by a job`,
          retryable: false,
        };
      }
      if (ctx.signal.aborted)
        return { ok: false, summary: "aborted before start", retryable: true };
      if (memoryMb > 0 && prlimit === undefined && !warnedUncapped) {
        warnedUncapped = true;
        ctx.logger.warn({ memoryMb }, "prlimit not found: scripts run without a memory cap");
      }
      const argv =
        prlimit === undefined
          ? [target.command, ...target.args]
          : [
              prlimit,
              `--data=${memoryMb * 1024 * 1024}`,
              "--core=0",
              "--",
              target.command,
              ...target.args,
            ];
      if (setpriv !== undefined) argv.unshift(setpriv, "--pdeathsig", "KILL", "--");
      // A non-zero exit, a timeout or a failed start may pass: retryable.
      const result = await runProcess(
        argv,
        childEnv(target, ctx),
        target.timeoutMs,
        graceMs,
        maxBytes,
        ctx,
      );
      return result.ok ? result : { ...result, retryable: true };
    },
  };
}

function childEnv(target: ScriptTarget, ctx: RunContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, target.env);
  env.CHRONORING_EXECUTION_ID = ctx.executionId;
  env.CHRONORING_JOB_ID = ctx.jobId;
  env.CHRONORING_SCHEDULED_MS = String(ctx.scheduledMs);
  env.CHRONORING_ATTEMPT = String(ctx.attempt);
  if (ctx.lastCheckpoint) {
    env.CHRONORING_CHECKPOINT = Buffer.from(ctx.lastCheckpoint).toString("utf8");
  }
  return env;
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
