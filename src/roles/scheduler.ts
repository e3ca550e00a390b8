import { extname } from "node:path";
import { startLeaderDuties } from "../cluster/leader.js";
import { type ClusterNode, startClusterNode } from "../cluster/node.js";
import { createStoreOutage } from "../cluster/store-outage.js";
import { followWakeHints } from "../cluster/wake-hints.js";
import { every, systemClock } from "../core/clock.js";
import { StaleOwnerError } from "../core/errors.js";
import { ALL_TENANTS } from "../core/tenant.js";
import {
  type BackfillDriver,
  createBackfillMetrics,
  startBackfillDriver,
} from "../scheduler/backfill-driver.js";
import { startDispatchThread } from "../scheduler/dispatch-thread.js";
import { createSchedulerMetrics } from "../scheduler/metrics.js";
import { createScheduler, type Scheduler } from "../scheduler/scheduler.js";
import { type Closer, type RoleContext, STORE_PROBE_JOB } from "./context.js";

export interface SchedulerRole {
  scheduler: Scheduler;
  /** This process's scheduler membership, in cluster mode. */
  node?: ClusterNode;
  closers: Closer[];
}

/**
 * The scheduler role: claims due runs of the partitions this node owns and
 * sends them from the dispatch thread. In cluster mode it joins etcd as a
 * scheduler member, follows wake hints, and runs the leader's duties while
 * it is leader; standalone it owns every partition, unfenced.
 */
export function startSchedulerRole(ctx: RoleContext): SchedulerRole {
  const { config, clock, cluster } = ctx;
  const { jobs, executions, queue, calendars } = ctx.adapters;
  const logger = ctx.logger.child({ role: "scheduler", node: config.cluster.nodeId });
  const closers: Closer[] = [];
  const metrics = createSchedulerMetrics(ctx.registry);
  metrics.partitions.set(config.store.partitions);
  const outage = createStoreOutage({
    clock,
    outageMs: config.cluster.storeOutageMs,
    answered: (err) => err instanceof StaleOwnerError,
  });
  let node: ClusterNode | undefined;
  const scheduler = createScheduler({
    jobs,
    executions,
    queue,
    clock,
    logger,
    metrics,
    // Runs are sent from a thread of their own, on time whatever the loops do
    // (a test's own clock, and the memory queue, keep the dispatcher in this thread).
    ...(clock === systemClock && config.store.kind !== "memory"
      ? {
          dispatcher: startDispatchThread({
            entry: new URL(
              `../scheduler/dispatch-worker${extname(import.meta.url)}`,
              import.meta.url,
            ),
            data: { config },
            metrics,
            onQueueRequest: ctx.adapters.onQueueRequest,
            logger,
            registry: ctx.registry,
          }),
        }
      : {}),
    options: {
      ...config.scheduler,
      // A lost owner is seen within its lease, and its partitions move a settle later.
      lostOwnerMs: config.etcd.sessionTtlMs + config.cluster.assignmentSettleMs + 1_000,
    },
    nodeId: config.cluster.nodeId,
    canClaim: () => !cluster || (node?.isLive() ?? false),
    storeCalls: outage,
    calendarStore: calendars,
  });
  const backfillMetrics = createBackfillMetrics(ctx.registry);
  /**
   * The workers' total concurrency: their membership info in cluster mode;
   * standalone, this process's worker (workers elsewhere are not known).
   */
  const workerCapacity = async (): Promise<number | undefined> => {
    if (!cluster) return config.roles.includes("worker") ? config.worker.concurrency : undefined;
    const workers = await cluster.coordinator.members("worker");
    return workers.reduce((n, w) => n + (Number(w.info.concurrency) || 0), 0);
  };
  /** The backfill driver: on the leader only (standalone: this node). */
  const driveBackfills = (isLeader?: () => boolean): BackfillDriver =>
    startBackfillDriver({
      store: ctx.adapters.backfills,
      jobs,
      executions,
      queue,
      calendars,
      clock,
      logger: logger.child({ backfills: true }),
      metrics: backfillMetrics,
      options: { ...config.backfill, startTimeoutMs: config.scheduler.startTimeoutMs },
      workerCapacity,
      ...(isLeader ? { isLeader } : {}),
    });
  if (!cluster) {
    scheduler.setPartitions(
      Array.from({ length: config.store.partitions }, (_, partition) => ({ partition })),
    );
    const backfills = driveBackfills();
    closers.push(() => backfills.stop());
    closers.push(() => scheduler.stop());
    return { scheduler, closers };
  }

  const { coordinator } = cluster;
  const hints = followWakeHints({
    coordinator,
    onWake: (partition, nextRunMs) => scheduler.wake(partition, nextRunMs),
    logger,
    clock,
  });
  closers.push(() => hints.stop());
  node = startClusterNode({
    coordinator,
    logger,
    clock,
    metrics: cluster.metrics,
    options: {
      id: config.cluster.nodeId,
      role: "scheduler",
      sessionTtlMs: config.etcd.sessionTtlMs,
      info: { pid: String(process.pid), api: config.roles.includes("api") ? "yes" : "no" },
    },
    onPartitions: (owned, standby) => {
      scheduler.setPartitions(owned);
      scheduler.setStandby(standby);
    },
    onLeadership: (leadership) => {
      const backfills = driveBackfills(() => leadership.isLeader());
      const duties = startLeaderDuties({
        coordinator,
        leadership,
        executions,
        jobs,
        queue,
        clock,
        logger: logger.child({ leader: true }),
        metrics: cluster.metrics,
        options: {
          partitionCount: config.store.partitions,
          failoverIntervalMs: config.cluster.failoverIntervalMs,
          startTimeoutMs: config.scheduler.startTimeoutMs,
          settleMs: config.cluster.assignmentSettleMs,
        },
      });
      return {
        async stop() {
          await backfills.stop();
          await duties.stop();
        },
      };
    },
  });
  const member = node;
  // A node cut off from the store but not from etcd would keep its partitions
  // and fire none of their runs: past the outage bound it leaves, so the
  // others take them, and rejoins once a read reaches the store again.
  const outageCheck = every(clock, 500, () => {
    if (config.cluster.storeOutageMs === 0 || !outage.isOut()) return;
    outage.reset();
    void member.standAside(async () => {
      await jobs.getJob(ALL_TENANTS, STORE_PROBE_JOB);
      return true;
    });
  });
  closers.push(async () => outageCheck.cancel());
  closers.push(() => member.stop());
  closers.push(() => scheduler.stop());
  return { scheduler, node, closers };
}
