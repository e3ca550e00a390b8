/**
 * The command line that starts a script under its limits, through two
 * util-linux wrappers that exec what follows them (so the child's pid stays
 * the command's). Node's spawn has no pre-exec hook and no setrlimit, hence
 * the wrappers:
 *
 *   setpriv --pdeathsig KILL --no-new-privs -- prlimit --cpu=S:H --nproc=N --data=B --core=0 -- command args...
 *
 * - `setpriv --pdeathsig KILL`: the kernel kills the script when the worker
 *   dies (it leads its own process group, so it would outlive a SIGKILLed
 *   worker and run beside the re-queued attempt). The signal is set here,
 *   after spawn switched to the script user, because a credentials change
 *   clears it. `--no-new-privs`: no set-user-ID program or file capability
 *   gives the script back what the switch took away.
 * - `prlimit`, per process (children inherit the limits, each counting its own usage):
 *   - `--cpu`: RLIMIT_CPU, the timeout in whole seconds plus the kill grace
 *     plus 1 s; SIGXCPU at the soft limit, SIGKILL 1 s later. The timer stops
 *     what it can reach first, so this only bites on a process that left the
 *     group (setsid) or one whose threads burn CPU faster than the clock;
 *   - `--nproc`: RLIMIT_NPROC, which counts every process (thread) of the
 *     script's real uid, not only this run's: runs sharing a user share it;
 *   - `--data`: RLIMIT_DATA (heap and private writable mappings; Linux ≥ 4.7).
 *     Not `--as` (RLIMIT_AS): V8 reserves gigabytes of address space up
 *     front, so any address-space cap that means anything stops `node` from
 *     starting (RLIMIT_DATA must still leave room for Node 24's writable code
 *     range: see DEFAULT_SCRIPT_MEMORY_MB);
 *   - `--core=0`: no core dumps (SIGXCPU's default action would write one).
 *
 * Either wrapper missing (not Linux, util-linux absent): the script runs
 * without what it gives, and the handler logs a warning on the first run.
 */

export interface ScriptLimits {
  /** Absolute path of setpriv, if found. */
  setpriv: string | undefined;
  /** Absolute path of prlimit, if found. */
  prlimit: string | undefined;
  /** RLIMIT_DATA in MiB; 0: none. */
  memoryMb: number;
  /** RLIMIT_NPROC; 0: none. */
  maxProcs: number;
  /** SIGTERM → SIGKILL grace of a stopped run, in ms. */
  killGraceMs: number;
}

/** Soft RLIMIT_CPU of a run: its timeout, then the kill grace, then 1 s, in whole seconds. */
export function cpuLimitS(timeoutMs: number, killGraceMs: number): number {
  return Math.ceil(timeoutMs / 1000) + Math.ceil(killGraceMs / 1000) + 1;
}

/** The argv that starts `command args` under the limits. */
export function limitedArgv(
  limits: ScriptLimits,
  command: string,
  args: string[],
  timeoutMs: number,
): string[] {
  const argv = [command, ...args];
  if (limits.prlimit !== undefined) {
    const cpu = cpuLimitS(timeoutMs, limits.killGraceMs);
    argv.unshift(
      limits.prlimit,
      `--cpu=${cpu}:${cpu + 1}`,
      ...(limits.maxProcs > 0 ? [`--nproc=${limits.maxProcs}`] : []),
      ...(limits.memoryMb > 0 ? [`--data=${limits.memoryMb * 1024 * 1024}`] : []),
      "--core=0",
      "--",
    );
  }
  if (limits.setpriv !== undefined) {
    argv.unshift(limits.setpriv, "--pdeathsig", "KILL", "--no-new-privs", "--");
  }
  return argv;
}
