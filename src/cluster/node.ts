import type { Logger } from "pino";
import { type Clock, systemClock } from "../core/clock.js";
import type { Coordinator, Leadership, MemberRole, Session } from "../core/ports/coordinator.js";
import { type RetrySchedule, retry } from "../core/retry.js";
import { partitionsOf } from "./assignment.js";
import type { ClusterMetrics } from "./metrics.js";

export interface ClusterNodeOptions {
  id: string;
  role: MemberRole;
  sessionTtlMs: number;
  info: Record<string, string>;
}

export interface ClusterNode {
  /** True while this node's session is live (its own keep-alive deadline has not passed). */
  isLive(): boolean;
  isLeader(): boolean;
  /**
   * Leaves the cluster (resigns, gives up its partitions, revokes its lease so
   * that the leader reassigns them at once) and rejoins once `until` resolves
   * true, asked every second (a rejection counts as false). For a node that
   * cannot do its work (its store is out of reach) while etcd still hears it.
   */
  standAside(until: () => Promise<boolean>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Partitions whose owner in `before` owns nothing in `after` and is not
 * `self`: that owner left the cluster (the leader assigns every live node
 * partitions), so runs it held in memory were never sent. None at the first
 * assignment a node sees (cluster start, or its own join).
 */
export function departedOwners(
  before: string[] | undefined,
  after: string[],
  self: string,
): Set<number> {
  const left = new Set<number>();
  if (!before) return left;
  const present = new Set(after);
  after.forEach((owner, p) => {
    const old = before[p];
    if (owner === self && old !== undefined && old !== self && !present.has(old)) left.add(p);
  });
  return left;
}

/** Joining again: 0.2 s doubling up to 5 s between tries. */
const REJOIN_BACKOFF: RetrySchedule = { baseMs: 200, maxMs: 5_000 };

/** A campaign that failed (etcd refused it, not a lost election): again every second. */
const CAMPAIGN_RETRY: RetrySchedule = { baseMs: 1_000, maxMs: 1_000, factor: 1 };

/** A node standing aside reads the store every second until it answers. */
const STORE_PROBE_RETRY: RetrySchedule = { baseMs: 1_000, maxMs: 1_000, factor: 1 };

/**
 * Keeps this process a member of the cluster: a session (lease) kept alive,
 * the member key under it, and, for scheduler nodes, the assignment watch
 * and a campaign for leadership. When the session is lost (the process was
 * paused past its TTL, or etcd was unreachable), the node gives up all work
 * at once and rejoins with a new session.
 */
export function startClusterNode(deps: {
  coordinator: Coordinator;
  logger: Logger;
  metrics: ClusterMetrics;
  options: ClusterNodeOptions;
  /**
   * Scheduler nodes: the partitions (with their fencing epochs) this node
   * should fire; `takeover` marks one whose last owner left the cluster.
   */
  onPartitions?: (owned: Array<{ partition: number; epoch: number; takeover?: boolean }>) => void;
  /** Scheduler nodes: start leader duties; returns their stop function. */
  onLeadership?: (leadership: Leadership) => { stop(): Promise<void> };
  /** Worker nodes: called once registered (to record the worker id durably). */
  onRegistered?: () => Promise<void>;
  /** Called when the session is lost, before rejoining. */
  onLost?: () => void;
  /** Timers of the rejoin backoff. Default the system clock. */
  clock?: Clock;
}): ClusterNode {
  const { coordinator, logger, metrics, options, clock = systemClock } = deps;
  let session: Session | undefined;
  let leadership: Leadership | undefined;
  let stopped = false;
  const stopping = new AbortController();
  let aside = false;
  let generation = 0;
  const cleanups: Array<() => Promise<void>> = [];

  async function teardown(): Promise<void> {
    deps.onPartitions?.([]);
    const pending = cleanups.splice(0);
    await Promise.all(pending.map((c) => c().catch(() => {})));
  }

  /**
   * Campaigns while this session is the node's current one; once elected,
   * leads until leadership is lost, then campaigns again.
   */
  async function campaign(s: Session, gen: number, signal: AbortSignal): Promise<void> {
    const current = () => !stopped && gen === generation && s.isLive();
    while (current()) {
      let won: Leadership;
      try {
        won = await retry(
          CAMPAIGN_RETRY,
          () => coordinator.campaign(s, options.id, signal),
          clock,
          {
            signal,
            retryable: current,
            onRetry: (err) => logger.warn({ err }, "campaign failed; retrying"),
          },
        );
      } catch {
        // Aborted, or this session is over: the rejoin campaigns with the next one.
        return;
      }
      if (stopped || gen !== generation) {
        await won.resign().catch(() => {});
        return;
      }
      leadership = won;
      metrics.leaderChanges.inc();
      metrics.isLeader.set(1);
      logger.info({ term: won.term }, "became leader");
      const duties = deps.onLeadership?.(won);
      await new Promise<void>((resolve) => won.onLost(resolve));
      metrics.isLeader.set(0);
      leadership = undefined;
      logger.warn("leadership lost");
      await duties?.stop().catch((err: unknown) => {
        logger.warn({ err }, "leader duties did not stop cleanly");
      });
    }
  }

  async function join(): Promise<void> {
    const gen = ++generation;
    const s = await coordinator.openSession(options.sessionTtlMs);
    session = s;
    metrics.leaseRenewed(options.role, false);
    s.onRenewed(() => metrics.leaseRenewed(options.role, true));
    s.onLost(() => {
      if (stopped || gen !== generation) return;
      metrics.sessionsLost.inc({ role: options.role });
      logger.warn({ role: options.role }, "cluster session lost; giving up work and rejoining");
      deps.onLost?.();
      void teardown().then(() => rejoin());
    });
    await coordinator.register(s, {
      id: options.id,
      role: options.role,
      joinedMs: clock.now(),
      info: options.info,
    });
    await deps.onRegistered?.();
    if (options.role === "scheduler") {
      let previous: string[] | undefined;
      const stopWatch = await coordinator.watchAssignment((assignment) => {
        if (gen !== generation || !s.isLive()) return;
        const left = departedOwners(previous, assignment.owners, options.id);
        previous = assignment.owners;
        deps.onPartitions?.(
          partitionsOf(assignment.owners, options.id).map((partition) => ({
            partition,
            epoch: assignment.since[partition]!,
            ...(left.has(partition) ? { takeover: true } : {}),
          })),
        );
      });
      cleanups.push(stopWatch);
      const abort = new AbortController();
      cleanups.push(async () => abort.abort());
      void campaign(s, gen, abort.signal);
    }
    cleanups.push(async () => {
      await s.close().catch(() => {});
    });
    logger.info({ role: options.role, id: options.id, lease: s.id }, "joined the cluster");
  }

  async function rejoin(): Promise<void> {
    const once = async () => {
      if (stopped) return;
      try {
        await join();
      } catch (err) {
        logger.warn({ err }, "could not join the cluster; retrying");
        await teardown();
        throw err;
      }
    };
    // Until joined or stopped (each failure is logged above).
    await retry(REJOIN_BACKOFF, once, clock, { retryable: () => !stopped }).catch(() => {});
  }

  void rejoin();

  return {
    isLive: () => session?.isLive() ?? false,
    isLeader: () => leadership?.isLeader() ?? false,
    async standAside(until) {
      if (aside || stopped) return;
      aside = true;
      // A new generation: the old session's loss and campaign no longer act.
      generation++;
      logger.warn({ role: options.role }, "leaving the cluster until the store answers again");
      if (leadership?.isLeader()) await leadership.resign().catch(() => {});
      await teardown();
      session = undefined;
      const answers = async () => {
        if (!(await until())) throw new Error("the store does not answer yet");
      };
      // Ends early on stop (its signal aborts the wait).
      await retry(STORE_PROBE_RETRY, answers, clock, { signal: stopping.signal }).catch(() => {});
      aside = false;
      if (!stopped) await rejoin();
    },
    async stop() {
      stopped = true;
      stopping.abort();
      generation++;
      if (leadership?.isLeader()) await leadership.resign().catch(() => {});
      await teardown();
      metrics.leaseReleased(options.role);
    },
  };
}
