import { readFileSync } from "node:fs";
import { round } from "../stats.js";

/** CPU seconds (user + system) a process has used so far, from /proc; 0 when unreadable. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat (12 and 13 after the name), in ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident memory of a process in MB (VmRSS of /proc/<pid>/status); 0 when unreadable. */
export function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** One process over one phase: CPU seconds, cores (CPU ÷ wall) and the largest RSS sampled. */
export interface ProcFigures {
  cpu_s: number;
  cpu_cores: number;
  rss_max_mb: number;
  rss_end_mb: number;
}

/** Samples of named processes over named phases. */
export interface ProcSampler {
  /** Starts a phase: CPU from now, RSS maximum from now. */
  begin(phase: string): void;
  /** Ends a phase; its figures per process. */
  end(phase: string): Record<string, ProcFigures>;
  /** Largest RSS of each process since the sampler started, MB. */
  peak(): Record<string, number>;
  stop(): void;
}

/**
 * Reads CPU time and resident memory of `pids` from /proc every `everyMs`
 * (the bench's own process, not the measured ones, does the reading, so a
 * sample costs the measured processes nothing). A phase's CPU is the
 * difference of /proc's counters at its ends; its RSS the largest sample in
 * between, ends included.
 */
export function createProcSampler(pids: Record<string, number>, everyMs = 1000): ProcSampler {
  const names = Object.keys(pids);
  const peak = Object.fromEntries(names.map((n) => [n, 0]));
  const open = new Map<
    string,
    { startMs: number; cpu: Record<string, number>; rss: Record<string, number> }
  >();
  const sample = () => {
    for (const name of names) {
      const mb = rssMb(pids[name]);
      peak[name] = Math.max(peak[name]!, mb);
      for (const phase of open.values()) phase.rss[name] = Math.max(phase.rss[name] ?? 0, mb);
    }
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  sample();
  return {
    begin(phase) {
      open.set(phase, {
        startMs: Date.now(),
        cpu: Object.fromEntries(names.map((n) => [n, cpuSeconds(pids[n])])),
        rss: {},
      });
      sample();
    },
    end(phase) {
      const started = open.get(phase);
      if (!started) throw new Error(`phase ${phase} was not begun`);
      sample();
      open.delete(phase);
      const wallS = Math.max((Date.now() - started.startMs) / 1000, 0.001);
      return Object.fromEntries(
        names.map((n) => {
          const cpu = cpuSeconds(pids[n]) - started.cpu[n]!;
          return [
            n,
            {
              cpu_s: round(cpu, 2),
              cpu_cores: round(cpu / wallS, 4),
              rss_max_mb: round(started.rss[n] ?? 0),
              rss_end_mb: round(rssMb(pids[n])),
            },
          ];
        }),
      );
    },
    peak: () => Object.fromEntries(names.map((n) => [n, round(peak[n]!)])),
    stop: () => clearInterval(timer),
  };
}
