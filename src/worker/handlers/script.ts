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
 *   starting (and RLIMIT_DATA must still leave room for Node 24's writable
 *   code range: see DEFAULT_SCRIPT_MEMORY_MB). Node has no setrlimit and spawn has no pre-exec hook, hence the
 *   wrapper; prlimit execs the command, so the child pid stays the command's.
 *   The cap applies to each process, not to the tree. Without `prlimit` (not
 *   Linux, or util-linux missing) scripts run uncapped and the first run logs
 *   a warning.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { ScriptTarget } from "../../core/job.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";
import {
  assertByteLimit,
  clampText,
  createOutputCapture,
  DEFAULT_MAX_OUTPUT_BYTES,
  formatSummary,
} from "./truncate.js";

/**
 * RLIMIT_DATA counts what a runtime reserves writable, not only what it uses:
 * Node 24 maps a 510 MiB read-write-execute code range at start (VmData about
 * 560 MiB before any script code runs; Node 20 about 50 MiB), so it cannot
 * start under 580 MiB. 1 GiB leaves a Node 24 script about 450 MiB of its own.
 */
export const DEFAULT_SCRIPT_MEMORY_MB = 1024;
/** Time between SIGTERM and SIGKILL when a run is stopped. */
export const DEFAULT_KILL_GRACE_MS = 2000;
/** After the command exits, how long processes it left behind may hold its output pipes. */
const DRAIN_MS = 1000;
const MAX_TIMER_MS = 2_147_483_647;

/** Variables passed from the worker's own environment; everything else comes from the job. */
const INHERITED_ENV = ["PATH", "HOME", "LANG", "TZ", "TMPDIR"] as const;
/** Variables a job may not set: they would change which code the allow-listed command runs. */
const FORBIDDEN_ENV = /^(PATH|LD_.*|DYLD_.*)$/;

export interface ScriptHandlerOptions {
  /** Exact `command` strings that may run. */
  allowList: string[];
  /** Cap on the summary (status line + output), in UTF-8 bytes. Default 4096. */
  maxOutputBytes?: number;
  /** RLIMIT_DATA per process, in MiB; 0 disables it. Default 1024. */
  memoryMb?: number;
  /** SIGTERM → SIGKILL grace when a run is stopped. Default 2000 ms. */
  killGraceMs?: number;
}

type StopReason = { kind: "timeout"; timeoutMs: number } | { kind: "abort"; reason: unknown };

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

function runProcess(
  argv: string[],
  env: Record<string, string>,
  timeoutMs: number,
  graceMs: number,
  maxBytes: number,
  ctx: RunContext,
): Promise<HandlerResult> {
  const [file, ...args] = argv as [string, ...string[]];
  const capture = createOutputCapture(maxBytes);
  return new Promise<HandlerResult>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        shell: false,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        // Own process group: a stop signal reaches everything the command started.
        detached: true,
      });
    } catch (err) {
      // Synchronous spawn errors: invalid arguments such as a NUL byte in env.
      resolve({ ok: false, summary: clampText(`failed to start: ${describe(err)}`, maxBytes) });
      return;
    }

    let stop: StopReason | undefined;
    let settled = false;
    let exited = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const requestStop = (reason: StopReason) => {
      if (stop !== undefined || exited) return;
      stop = reason;
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    };
    const onAbort = () => requestStop({ kind: "abort", reason: ctx.signal.reason });
    const timeoutTimer = setTimeout(
      () => requestStop({ kind: "timeout", timeoutMs }),
      Math.min(Math.max(timeoutMs, 0), MAX_TIMER_MS),
    );
    ctx.signal.addEventListener("abort", onAbort, { once: true });

    const checkpoints = createCheckpointReader(ctx);
    const settle = (result: HandlerResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      ctx.signal.removeEventListener("abort", onAbort);
      // The outcome is recorded only after the checkpoints the script printed.
      void checkpoints.flushed().then(() => resolve(result));
    };

    child.stdout?.on("data", (chunk: Buffer) => {
      capture.write(chunk);
      checkpoints.write(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => capture.write(chunk));
    child.on("error", (err) => {
      // Spawn failures (ENOENT, EACCES) have no pid and no 'close' to wait for.
      if (child.pid === undefined) {
        settle({
          ok: false,
          summary: clampText(
            `failed to start ${JSON.stringify(argv[0])}: ${describe(err)}`,
            maxBytes,
          ),
        });
      } else {
        ctx.logger.warn({ err }, "script child process error");
      }
    });
    child.on("exit", () => {
      exited = true;
      clearTimeout(timeoutTimer);
      // Processes left in the group may hold the pipes open; don't wait for them forever.
      drainTimer = setTimeout(() => {
        signalGroup("SIGKILL");
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, DRAIN_MS);
    });
    child.on("close", (code, signal) => {
      const output = { bytes: capture.bytes(), totalBytes: capture.totalBytes, totalKnown: true };
      const { ok, head } = describeEnd(code, signal, stop);
      ctx.logger.debug({ code, signal, outputBytes: capture.totalBytes }, "script finished");
      settle({ ok, summary: formatSummary(head, output, maxBytes) });
    });
    ctx.logger.debug({ command: argv, pid: child.pid }, "script started");
  });
}

/** A stdout line `::checkpoint::<data>` saves `<data>` (UTF-8) as the run's checkpoint. */
export const CHECKPOINT_PREFIX = "::checkpoint::";
/** Longest stdout line scanned for a checkpoint; longer lines are output only. */
const CHECKPOINT_LINE_MAX = 64 * 1024;

/**
 * Scans the child's stdout for checkpoint lines and saves them in order, one
 * at a time; a failed save is logged (the script goes on).
 */
function createCheckpointReader(ctx: RunContext) {
  let partial = "";
  let saving: Promise<void> = Promise.resolve();
  const save = (data: string) => {
    const checkpoint = ctx.checkpoint;
    if (checkpoint === undefined) return;
    saving = saving
      .then(() => checkpoint(data))
      .catch((err: unknown) => ctx.logger.warn({ err }, "could not save a script checkpoint"));
  };
  return {
    write(chunk: Buffer) {
      partial += chunk.toString("utf8");
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      if (partial.length > CHECKPOINT_LINE_MAX) partial = "";
      for (const line of lines) {
        const text = line.endsWith("\r") ? line.slice(0, -1) : line;
        if (text.startsWith(CHECKPOINT_PREFIX)) save(text.slice(CHECKPOINT_PREFIX.length));
      }
    },
    flushed: () => saving,
  };
}

function describeEnd(
  code: number | null,
  signal: NodeJS.Signals | null,
  stop: StopReason | undefined,
): { ok: boolean; head: string } {
  const end = signal !== null ? `killed by ${signal}` : `exit ${code}`;
  if (stop === undefined) return { ok: code === 0, head: end };
  const why =
    stop.kind === "timeout"
      ? `timed out after ${stop.timeoutMs} ms`
      : `aborted: ${describe(stop.reason)}`;
  // A command that traps SIGTERM and exits 0 still failed: it did not finish in time.
  return { ok: false, head: signal !== null ? `${end} (${why})` : `${end} after SIGTERM (${why})` };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
