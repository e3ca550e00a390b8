/**
 * Runs one script process and turns its end into a handler result: the
 * process group is stopped on timeout or abort (SIGTERM, then SIGKILL after
 * the grace period), output is captured up to the byte cap, and stdout lines
 * `::checkpoint::<data>` are saved in order before the result is given.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Clock, Timer } from "../../core/clock.js";
import type { HandlerResult, RunContext } from "./handler.js";
import { clampText, createOutputCapture, formatSummary } from "./truncate.js";

/** After the command exits, how long processes it left behind may hold its output pipes. */
const DRAIN_MS = 1000;
const MAX_TIMER_MS = 2_147_483_647;

type StopReason = { kind: "timeout"; timeoutMs: number } | { kind: "abort"; reason: unknown };

export interface ProcessSpec {
  argv: string[];
  /** The whole environment (nothing is inherited). */
  env: Record<string, string>;
  cwd: string;
  /** Runs as this user (needs root); absent: as the worker's user. */
  uid?: number;
  gid?: number;
  timeoutMs: number;
  /** SIGTERM → SIGKILL grace. */
  graceMs: number;
  /** Cap on the summary, in UTF-8 bytes. */
  maxBytes: number;
  /** The timeout, the kill grace and the drain of left-over output run on it. */
  clock: Clock;
}

/** Starts `argv` (no shell) and resolves when it and its output are done. */
export function runProcess(spec: ProcessSpec, ctx: RunContext): Promise<HandlerResult> {
  const { argv, env, cwd, uid, gid, timeoutMs, graceMs, maxBytes, clock } = spec;
  const [file, ...args] = argv as [string, ...string[]];
  const capture = createOutputCapture(maxBytes);
  return new Promise<HandlerResult>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        shell: false,
        env,
        cwd,
        // With uid/gid, libuv also drops supplementary groups (setgroups(0)) before exec.
        ...(uid !== undefined && gid !== undefined ? { uid, gid } : {}),
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
    let killTimer: Timer | undefined;
    let drainTimer: Timer | undefined;

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
      killTimer = clock.setTimeout(() => signalGroup("SIGKILL"), graceMs);
    };
    const onAbort = () => requestStop({ kind: "abort", reason: ctx.signal.reason });
    const timeoutTimer = clock.setTimeout(
      () => requestStop({ kind: "timeout", timeoutMs }),
      Math.min(Math.max(timeoutMs, 0), MAX_TIMER_MS),
    );
    ctx.signal.addEventListener("abort", onAbort, { once: true });

    const checkpoints = createCheckpointReader(ctx);
    const settle = (result: HandlerResult) => {
      if (settled) return;
      settled = true;
      timeoutTimer.cancel();
      killTimer?.cancel();
      drainTimer?.cancel();
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
      timeoutTimer.cancel();
      // Processes left in the group may hold the pipes open; don't wait for them forever.
      drainTimer = clock.setTimeout(() => {
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

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
