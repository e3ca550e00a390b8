/** The counts of one tenant's starts in one minute (or over a window). */
export interface FireCounts {
  /** First attempts started. */
  fires: number;
  /** Later attempts started. */
  retries: number;
  /** Sum of the fires' lateness, ms. */
  latenessSumMs: number;
  /** Fires per lateness bucket (`LATENESS_BOUNDS_MS` in core/fire-stats.ts, plus one). */
  buckets: number[];
}

/** Counts to add to one tenant's minute. */
export interface FireStatsDelta {
  tenant: string;
  /** The minute's first instant, UTC ms. */
  minuteMs: number;
  counts: FireCounts;
}

/**
 * Per-tenant, per-minute start counts. Writes are additive, so that every
 * worker adds its own counts to the same item without reading it; items
 * expire by themselves after a couple of days.
 */
export interface FireStatsStore {
  /** Creates the table (with its expiry) when missing. */
  init(): Promise<void>;
  /** Adds `delta.counts` to the tenant's minute, creating it when absent. */
  add(delta: FireStatsDelta): Promise<void>;
  /** The tenant's stored minutes in `[fromMinuteMs, toMinuteMs]`, by minute start. */
  read(tenant: string, fromMinuteMs: number, toMinuteMs: number): Promise<Map<number, FireCounts>>;
}
