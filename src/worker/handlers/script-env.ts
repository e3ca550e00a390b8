/**
 * A script's environment, built from an allow-list: nothing of the worker's
 * own environment (cloud credentials, NODE_OPTIONS, PYTHONPATH, ...) reaches
 * it unless the operator names it in `script-env-allow`.
 *
 * In order, later entries winning:
 * 1. a fixed base chosen here: PATH, LANG, TZ, and HOME = TMPDIR = the run's
 *    own working directory;
 * 2. the worker's values of the names in `script-env-allow`;
 * 3. the job's `env`, except names that change which code the command loads
 *    (`core/script-env.ts`) and are not in `script-env-allow`: such a job
 *    fails without running (the API refuses them; a job stored before the
 *    rule may still carry one);
 * 4. the `CHRONORING_*` variables of the run (execution id, checkpoint, ...).
 */
import { loadsCode } from "../../core/script-env.js";
import type { RunContext } from "./handler.js";

/** The programs a script finds by name: the system's, never the job's or the worker's. */
export const SCRIPT_PATH = "/usr/local/bin:/usr/bin:/bin";

export interface ScriptEnvPolicy {
  /** Names from `script-env-allow`. */
  allow: ReadonlySet<string>;
  /** The worker's values of those names, read once at start. */
  passThrough: Readonly<Record<string, string>>;
}

/** Reads the worker's values of the allowed names once, at start. */
export function scriptEnvPolicy(
  allow: readonly string[],
  workerEnv: NodeJS.ProcessEnv,
): ScriptEnvPolicy {
  const passThrough: Record<string, string> = {};
  for (const name of allow) {
    const value = workerEnv[name];
    if (value !== undefined) passThrough[name] = value;
  }
  return { allow: new Set(allow), passThrough };
}

/** The job's first variable this worker does not admit, if any. */
export function refusedJobEnv(
  policy: ScriptEnvPolicy,
  jobEnv: Record<string, string>,
): string | undefined {
  return Object.keys(jobEnv).find((name) => loadsCode(name) && !policy.allow.has(name));
}

/** The child's whole environment; call `refusedJobEnv` first. */
export function scriptEnv(
  policy: ScriptEnvPolicy,
  jobEnv: Record<string, string>,
  ctx: RunContext,
  workDir: string,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: SCRIPT_PATH,
    HOME: workDir,
    TMPDIR: workDir,
    LANG: "C.UTF-8",
    // Chronoring keeps time in UTC; a job that wants local time sets TZ.
    TZ: "UTC",
    ...policy.passThrough,
    ...jobEnv,
  };
  env.CHRONORING_EXECUTION_ID = ctx.executionId;
  env.CHRONORING_JOB_ID = ctx.jobId;
  env.CHRONORING_SCHEDULED_MS = String(ctx.scheduledMs);
  env.CHRONORING_ATTEMPT = String(ctx.attempt);
  if (ctx.lastCheckpoint) {
    env.CHRONORING_CHECKPOINT = Buffer.from(ctx.lastCheckpoint).toString("utf8");
  }
  return env;
}
