/** The backfill driver's settings (docs/backfill.md), read from `backfill-*` settings. */
export interface BackfillConfig {
  /** Pause between two passes of the leader's backfill driver. */
  intervalMs: number;
  /**
   * Runs all backfills may have out at once (sent, not ended): the cap on
   * what backfills hold of the LOW queue and the workers' slots.
   */
  maxInFlight: number;
  /**
   * Percent of the live workers' total concurrency all backfills may have
   * out at once (at least 1 run): the slots they may take from live runs.
   */
  workerShare: number;
}

type Values = Map<string, string | number | boolean | string[]>;

export function backfillConfig(v: Values): BackfillConfig {
  return {
    intervalMs: v.get("backfill-interval-ms") as number,
    maxInFlight: v.get("backfill-max-in-flight") as number,
    workerShare: v.get("backfill-worker-share") as number,
  };
}
