import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { StaleOwnerError } from "../core/errors.js";
import type { CalendarStore } from "../core/ports/calendar-store.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { Fence, JobStore } from "../core/ports/job-store.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { createSpreadMemory } from "../core/window-spread.js";
import { createCalendarCache } from "./calendar-cache.js";
import { createClaimGate } from "./claim-gate.js";
import { createClaimer } from "./claimer.js";
import { createDispatcher, type Dispatcher } from "./dispatcher.js";
import { createHighLane } from "./high-lane.js";
import type { SchedulerMetrics } from "./metrics.js";
import {
  afterPass,
  checkedDeadlines,
  newPartitionState,
  nextReady,
  noteDeadlines,
  type PartitionState,
  wakeAt,
} from "./partition-state.js";
import { createRecovery } from "./recovery.js";
import type { Scheduler, SchedulerOptions } from "./scheduler-options.js";
import { createSleepers } from "./sleepers.js";
import { createStandby } from "./standby.js";
import { createSweepStep, sweepTiming } from "./sweep-step.js";

export type { OwnedPartition, Scheduler, SchedulerOptions } from "./scheduler-options.js";

/**
 * Fires the runs of the partitions it is given. Each partition is polled on
 * its own schedule by a small pool of loops: claim what is due within the
 * look-ahead, hold it until its time, send it; and when a recovery deadline
 * it knows of passes (or at a long backstop), re-send what was claimed but
 * never started. A partition with nothing due costs no store call between
 * its backstops.
 */
export function createScheduler(deps: {
  jobs: JobStore;
  executions: ExecutionStore;
  queue: WorkQueue;
  clock: Clock;
  logger: Logger;
  metrics: SchedulerMetrics;
  options: SchedulerOptions;
  /** This node's id, recorded as the owner in partition fences. */
  nodeId?: string;
  /** False while this node may not own work (its cluster session is not live). */
  canClaim?: () => boolean;
  /** Calendars that schedules name; absent: no date is excluded. */
  calendarStore?: CalendarStore;
  /** Holds and sends claimed runs; absent: one in this thread (`createDispatcher`). */
  dispatcher?: Dispatcher;
  /** Told whether each fence and claim pass reached the store (a node cut off from it leaves). */
  storeCalls?: { track<T>(call: () => Promise<T>): Promise<T> };
}): Scheduler {
  const nodeId = deps.nodeId ?? "standalone";
  const canClaim = deps.canClaim ?? (() => true);
  const tracked = <T>(call: () => Promise<T>) =>
    deps.storeCalls ? deps.storeCalls.track(call) : call();
  const { clock, logger, metrics, options } = deps;
  const dispatcher =
    deps.dispatcher ?? createDispatcher({ ...deps, aheadMs: deps.options.sendAheadMs ?? 0 });
  const calendars = deps.calendarStore
    ? createCalendarCache({
        store: deps.calendarStore,
        clock,
        ttlMs: options.calendarTtlMs ?? 30_000,
        logger,
      })
    : undefined;
  const claimer = createClaimer({
    store: deps.jobs,
    dispatcher,
    // Seeded by the node: two nodes spreading runs of one time plan different sequences.
    spread: createSpreadMemory(nodeId),
    ...deps,
    claimGate: createClaimGate(options.claimConcurrency ?? 32),
    checked: (partition) => {
      const st = states.get(partition);
      return st ? checkedDeadlines(st) : undefined;
    },
    ...(calendars ? { calendars } : {}),
  });
  const recovery = createRecovery({
    ...deps,
    startTimeoutMs: options.startTimeoutMs,
    lookaheadMs: options.lookaheadMs,
    sweepIntervalMs: options.sweepIntervalMs,
  });
  const sweep = createSweepStep({ ...deps, recovery, dispatcher });
  const pollBackstopMs = options.pollBackstopMs ?? options.pollIntervalMs;
  const timing = sweepTiming(options);
  const states = new Map<number, PartitionState>();
  let stopped = false;
  const { sleep, wakeAll } = createSleepers(clock);
  const loops: Promise<void>[] = [];

  /**
   * Passes over known runs start on a tick of a tenth of the look-ahead (the
   * claim still comes at least 0.9 look-ahead early), so that partitions whose
   * runs fall close together claim at once and share a transaction.
   */
  const passTiming = {
    lookaheadMs: options.lookaheadMs,
    pollBackstopMs,
    tickMs: Math.floor(options.lookaheadMs / 10),
  };
  /** A failed pass is tried again this soon: its runs may be due within the look-ahead. */
  const retryMs = Math.min(options.pollIntervalMs, 1_000);

  function fenceOf(st: PartitionState): Fence | undefined {
    return st.epoch === undefined
      ? undefined
      : { partition: st.partition, epoch: st.epoch, owner: nodeId };
  }

  function markStale(st: PartitionState): void {
    if (st.stale) return;
    st.stale = true;
    metrics.fenced.inc();
    metrics.owned.set(states.size - [...states.values()].filter((x) => x.stale).length);
    logger.warn(
      { partition: st.partition, epoch: st.epoch },
      "partition fenced by a newer owner; stopped",
    );
  }

  async function work(st: PartitionState): Promise<void> {
    if (!canClaim()) {
      // Not a live member: own nothing until the session is back. The sweep
      // waits too: a sweep time left in the past would make the loop call
      // this again at once, and spin without yielding to the event loop
      // (which the session's keep-alives need to come back).
      st.nextPollAt = clock.now() + options.pollIntervalMs;
      st.nextSweepAt = Math.max(st.nextSweepAt, st.nextPollAt);
      return;
    }
    if (!st.fenced && st.epoch !== undefined) {
      try {
        if (
          await tracked(() =>
            deps.jobs.fencePartition({ partition: st.partition, epoch: st.epoch!, owner: nodeId }),
          )
        ) {
          st.fenced = true;
        } else {
          markStale(st);
          return;
        }
      } catch (err) {
        metrics.loopErrors.inc({ loop: "fence" });
        logger.warn({ err, partition: st.partition }, "could not fence partition; will retry");
        st.nextPollAt = clock.now() + retryMs;
        st.nextSweepAt = Math.max(st.nextSweepAt, st.nextPollAt);
        return;
      }
    }
    const now = clock.now();
    if (st.nextSweepAt <= now) await sweep(st);
    if (st.nextPollAt <= now) {
      // A wake from now on may be for a job this pass reads too late to see.
      st.wokenAt = Number.POSITIVE_INFINITY;
      try {
        const known = now < st.readAt ? st.known : undefined;
        const result = await tracked(() =>
          claimer.pass(st.partition, fenceOf(st), known, st.readLimit),
        );
        // Runs left unread: the HIGH lane looks for HIGH ones among them.
        if (afterPass(st, result, clock.now(), passTiming)) wakeAll();
        noteDeadlines(st, result.deadlines, timing);
      } catch (err) {
        if (err instanceof StaleOwnerError) {
          markStale(st);
          return;
        }
        metrics.loopErrors.inc({ loop: "claim" });
        logger.warn({ err, partition: st.partition }, "claim pass failed; will retry");
        st.known = undefined;
        st.nextPollAt = clock.now() + retryMs;
        st.readAt = st.nextPollAt;
      }
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      const st = nextReady(states.values());
      const wait = st
        ? Math.min(st.nextPollAt, st.nextSweepAt) - clock.now()
        : options.pollIntervalMs;
      if (!st || wait > 0) {
        await sleep(Math.max(1, Math.min(wait, options.pollIntervalMs)));
        continue;
      }
      st.busy = true;
      try {
        await work(st);
      } finally {
        st.busy = false;
      }
    }
  }

  const lane = createHighLane({
    claimer,
    clock,
    metrics,
    logger,
    options: { lookaheadMs: options.lookaheadMs, pollBackstopMs, retryMs },
    timing,
    states: () => states.values(),
    fenceOf,
    canClaim,
    tracked,
    onStale: markStale,
    sleep,
    stopped: () => stopped,
  });
  const standby = createStandby({
    ...deps,
    dispatcher,
    options: {
      hedgeMs: options.standbyHedgeMs ?? 0,
      lookaheadMs: options.lookaheadMs,
      pollBackstopMs,
      startTimeoutMs: options.startTimeoutMs,
      retryMs,
    },
    ...(calendars ? { calendars } : {}),
    canClaim,
    sleep,
    stopped: () => stopped,
  });
  for (let i = 0; i < options.concurrency; i++) loops.push(loop());
  loops.push(...lane.start(), standby.start());

  return {
    setPartitions(partitions) {
      const wanted = new Map(partitions.map((p) => [p.partition, p.epoch]));
      const takeovers = new Set(partitions.filter((p) => p.takeover).map((p) => p.partition));
      let lost = 0;
      for (const [p, st] of states) {
        // A partition whose epoch changed was lost and regained: start afresh.
        if (!wanted.has(p) || wanted.get(p) !== st.epoch) {
          states.delete(p);
          lost++;
          if (!wanted.has(p)) {
            // Its new owner reports it now: a lag left here would never change again.
            metrics.lag.remove({ partition: String(p) });
            recovery.forget(p);
          }
        }
      }
      const now = clock.now();
      let gained = 0;
      for (const [p, epoch] of wanted) {
        if (states.has(p)) continue;
        gained++;
        states.set(
          p,
          newPartitionState({ partition: p, epoch, takeover: takeovers.has(p) }, now, options),
        );
      }
      if (lost) metrics.moves.inc({ direction: "lost" }, lost);
      if (gained) metrics.moves.inc({ direction: "gained" }, gained);
      metrics.owned.set(states.size);
      wakeAll();
    },
    owned() {
      return [...states.values()]
        .filter((st) => !st.stale)
        .map((st) => ({
          partition: st.partition,
          ...(st.epoch === undefined ? {} : { epoch: st.epoch }),
        }));
    },
    setStandby(partitions) {
      standby.set(partitions);
      wakeAll();
    },
    wake(partition, nextRunMs) {
      const st = states.get(partition);
      if (st && wakeAt(st, nextRunMs, clock.now(), options.lookaheadMs)) wakeAll();
      if (standby.wake(partition, nextRunMs)) wakeAll();
    },
    get held() {
      return dispatcher.pending;
    },
    async stop() {
      stopped = true;
      wakeAll();
      await Promise.all(loops);
      await dispatcher.close();
    },
  };
}
