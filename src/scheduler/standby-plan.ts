/**
 * The standby's decisions, pure: which HIGH run to check when, and what to
 * do with one that its owner has not started in time. `standby.ts` makes
 * the reads and the writes.
 */

/** A HIGH run the standby expects: a job's run at `scheduledMs`. */
export interface ExpectedRun {
  jobId: string;
  scheduledMs: number;
  /**
   * The job's flexible window, if it has one: its owner starts the run at a
   * planned time anywhere in it (held until then), so the run is late only
   * once the window is over.
   */
  windowMs?: number;
}

/** What the store said of an expected run at its check. */
export interface RunSeen {
  /** A worker started it (its first attempt's execution record exists). */
  started: boolean;
  /** A claim recorded it and no settle removed it: claimed, not started. */
  claimed: boolean;
  /** The job's next run in the HIGH index now (undefined: not in it). */
  indexedAtMs: number | undefined;
}

/**
 * - `done`: started, nothing to do;
 * - `send`: claimed and not started: sent again (attempt 1; the worker's
 *   conditional start runs it once, whichever message comes first);
 * - `withhold`: claimed and not started, but the HIGH queue has runs
 *   waiting: most likely it is among them (workers are behind, and a second
 *   message would add to their load); checked again a hedge later, and left
 *   to the recovery sweep once its start timeout has passed;
 * - `claim`: never claimed and still the job's next run: the standby claims
 *   it (the same compare-and-set as the owner's) and sends it if it wins;
 * - `gone`: neither claimed nor the job's next run any more (the job was
 *   changed, paused or deleted, or its owner claimed it just now): nothing
 *   is sent, since a run never claimed may belong to a paused job.
 */
export type StandbyAction = "done" | "send" | "withhold" | "claim" | "gone";

export function standbyAction(
  run: ExpectedRun,
  seen: RunSeen,
  queue: { highBacklog: boolean },
): StandbyAction {
  if (seen.started) return "done";
  if (seen.claimed) return queue.highBacklog ? "withhold" : "send";
  return seen.indexedAtMs === run.scheduledMs ? "claim" : "gone";
}

/**
 * When a run is checked: `hedgeMs` after its time (after its window's end,
 * for a run with a flexible window), when its owner's send has normally
 * started it.
 */
export function checkAt(run: ExpectedRun, hedgeMs: number): number {
  return run.scheduledMs + (run.windowMs ?? 0) + hedgeMs;
}

/**
 * A run still unstarted this long after its time is the recovery sweep's
 * (its owner's, or the next owner's): the standby stops looking at it.
 */
export function expired(run: ExpectedRun, nowMs: number, startTimeoutMs: number): boolean {
  return nowMs >= run.scheduledMs + (run.windowMs ?? 0) + startTimeoutMs;
}
