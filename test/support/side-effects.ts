import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { JobTargetSchema } from "../../gen/chronoring/v1/job_pb.js";

/** One line of a side-effect log: `<execution id> start <pid>` or `<execution id> end`. */
export interface Effect {
  executionId: string;
  phase: "start" | "end";
  /** The script's pid (its process group, since the worker starts it detached). */
  pid?: number;
}

/**
 * A file that script runs append to, so that a test sees each time a run
 * really executed: a run executed twice writes two `start` lines. The target
 * is `sh -c` (allow-list "sh") with the file passed in the job's env.
 */
export interface SideEffects {
  file: string;
  /**
   * A script target: writes `start`, sleeps `sleepS` seconds (only in the
   * first attempt with `firstAttemptOnly`, so that a retry is quick), writes `end`.
   */
  target(sleepS?: number, firstAttemptOnly?: boolean): MessageInitShape<typeof JobTargetSchema>;
  read(): Effect[];
  /** How many times this execution started. */
  starts(executionId: string): number;
  ended(executionId: string): boolean;
  /** SIGKILLs the process group of every run that started and did not end (orphans of a dead worker). */
  killUnfinished(): void;
}

export function sideEffects(dir: string, name = "effects.log"): SideEffects {
  const file = join(dir, name);
  // A worker running as root runs scripts as an unprivileged user: it must
  // reach the folder and append to the file.
  chmodSync(dir, 0o711);
  writeFileSync(file, "", { flag: "a" });
  chmodSync(file, 0o666);
  const effects: SideEffects = {
    file,
    target(sleepS = 0, firstAttemptOnly = false) {
      const sleep = firstAttemptOnly
        ? `[ "$CHRONORING_ATTEMPT" = 1 ] && sleep ${sleepS}`
        : `sleep ${sleepS}`;
      const body = [
        'echo "$CHRONORING_EXECUTION_ID start $$" >> "$EFFECTS"',
        ...(sleepS > 0 ? [sleep] : []),
        'echo "$CHRONORING_EXECUTION_ID end" >> "$EFFECTS"',
      ].join("; ");
      return {
        kind: {
          case: "script",
          value: { command: "sh", args: ["-c", body], env: { EFFECTS: file } },
        },
      };
    },
    read() {
      if (!existsSync(file)) return [];
      return readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [executionId = "", phase, pid] = line.split(" ");
          return {
            executionId,
            phase: phase === "end" ? "end" : "start",
            ...(pid ? { pid: Number(pid) } : {}),
          };
        });
    },
    starts(executionId) {
      return effects.read().filter((e) => e.executionId === executionId && e.phase === "start")
        .length;
    },
    ended(executionId) {
      return effects.read().some((e) => e.executionId === executionId && e.phase === "end");
    },
    killUnfinished() {
      const all = effects.read();
      for (const e of all) {
        if (e.phase !== "start" || e.pid === undefined) continue;
        if (all.some((x) => x.executionId === e.executionId && x.phase === "end")) continue;
        // Only a process that still runs our script (pids get reused).
        let cmdline = "";
        try {
          cmdline = readFileSync(`/proc/${e.pid}/cmdline`, "utf8");
        } catch {
          continue;
        }
        if (!cmdline.includes("CHRONORING_EXECUTION_ID")) continue;
        try {
          process.kill(-e.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
  return effects;
}
