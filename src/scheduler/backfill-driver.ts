/**
 * The backfill driver: while this node is the leader (standalone: always),
 * every interval it reads the active backfills and takes one step of each
 * (`core/backfill/advance.ts`), oldest first. Each backfill has at most its
 * `max_concurrent` runs out; all of them together at most `workerShare`
 * percent of the live workers' total concurrency (at least 1), and never
 * more than `maxInFlight`: that is what keeps live runs' lateness, since a
 * backfill run on the LOW queue still takes a worker slot until it ends
 * (docs/backfill.md, "The lane", has the measurements).
 *
 * A new leader picks up where the old one stopped: everything a step knows
 * is in the record. Two leaders for a moment (the old one has not yet seen
 * its loss) write conditionally on the record's version: one step wins,
 * the other sends nothing.
 */

import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { type AdvanceDeps, createBackfillAdvance } from "../core/backfill/index.js";
import { every } from "../core/clock.js";
import type { BackfillStore } from "../core/ports/backfill-store.js";

/** Active backfills read per pass at most (the oldest first). */
const ACTIVE_READ_MAX = 200;

export interface BackfillDriverOptions {
  /** Pause between two passes. */
  intervalMs: number;
  /** A run sent and not started this long after is sent again. */
  startTimeoutMs: number;
  /** Runs all backfills may have out at once. */
  maxInFlight: number;
  /** Percent of the workers' total concurrency backfills may have out at once. */
  workerShare: number;
}

export interface BackfillDriver {
  /** One pass now (tests); passes never overlap. */
  pass(): Promise<void>;
  stop(): Promise<void>;
}

/** The driver's metrics, made once per process (a node may become leader again and again). */
export function createBackfillMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sent: new Counter({
      name: "chronoring_backfill_runs_sent_total",
      help: "Runs sent by backfills, first sends (kind=new) and sends again of runs not started within the start timeout (kind=again)",
      labelNames: ["kind"] as const,
      registers,
    }),
    active: new Gauge({
      name: "chronoring_backfills_active",
      help: "Backfills the leader's driver advances (RUNNING, or CANCELLED with runs out), at its last pass",
      registers,
    }),
    inFlight: new Gauge({
      name: "chronoring_backfill_runs_in_flight",
      help: "Runs sent by backfills and not ended yet, at the driver's last pass",
      registers,
    }),
  };
}

export type BackfillMetrics = ReturnType<typeof createBackfillMetrics>;

/** What a step needs (`AdvanceDeps`), the store whole, and the driver's own. */
export type BackfillDriverDeps = Omit<AdvanceDeps, "store" | "startTimeoutMs"> & {
  store: BackfillStore;
  logger: Logger;
  metrics: BackfillMetrics;
  options: BackfillDriverOptions;
  /** False while this node may not drive (not the leader any more). Default: always true. */
  isLeader?: () => boolean;
  /**
   * The live workers' total concurrency (their membership info); undefined
   * when unknown (then only `maxInFlight` bounds the runs out).
   */
  workerCapacity?: () => Promise<number | undefined>;
};

export function startBackfillDriver(deps: BackfillDriverDeps): BackfillDriver {
  const { store, clock, logger, options, metrics } = deps;
  const advance = createBackfillAdvance({ ...deps, startTimeoutMs: options.startTimeoutMs });
  let running: Promise<void> | undefined;
  let stopped = false;
  /** The last capacity read: an etcd that does not answer keeps the cap as it was. */
  let capacity: number | undefined;

  /** How many runs all backfills may have out now. */
  async function cap(): Promise<number> {
    try {
      capacity = (await deps.workerCapacity?.()) ?? capacity;
    } catch (err) {
      logger.warn({ err }, "could not read the workers' concurrency; keeping the last known");
    }
    if (capacity === undefined) return options.maxInFlight;
    const share = Math.max(1, Math.floor((capacity * options.workerShare) / 100));
    return Math.min(options.maxInFlight, share);
  }

  async function passOnce(): Promise<void> {
    const active = await store.listActive(ACTIVE_READ_MAX);
    let out = active.reduce((n, b) => n + b.inFlight.length, 0);
    metrics.active.set(active.length);
    const limit = active.length > 0 ? await cap() : options.maxInFlight;
    for (const b of active) {
      if (stopped || !(deps.isLeader?.() ?? true)) return;
      try {
        // The runs of the others out count against the cap; this one's own are counted off as they end.
        const done = await advance.step(b, limit - (out - b.inFlight.length));
        if (!done) continue;
        out += done.backfill.inFlight.length - b.inFlight.length;
        if (done.sent) metrics.sent.inc({ kind: "new" }, done.sent);
        if (done.resent) metrics.sent.inc({ kind: "again" }, done.resent);
        if (done.sendError) {
          logger.warn(
            { err: done.sendError, backfill: b.id },
            "could not send backfill runs; they go again after the start timeout",
          );
        }
        if (done.backfill.state !== b.state) {
          logger.info(
            {
              backfill: b.id,
              jobId: b.jobId,
              state: done.backfill.state,
              counts: done.backfill.counts,
            },
            "backfill changed state",
          );
        }
      } catch (err) {
        logger.warn({ err, backfill: b.id }, "backfill step failed; retrying next pass");
      }
    }
    metrics.inFlight.set(out);
  }

  function pass(): Promise<void> {
    running ??= passOnce()
      .catch((err: unknown) => logger.warn({ err }, "backfill pass failed; retrying"))
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  const timer = every(clock, options.intervalMs, () => {
    if (!stopped && (deps.isLeader?.() ?? true)) void pass();
  });

  return {
    pass,
    async stop() {
      stopped = true;
      timer.cancel();
      await running;
    },
  };
}
