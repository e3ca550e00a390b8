import type { Logger } from "pino";
import { type Clock, every, type Timer } from "../core/clock.js";
import type { RunRef } from "../core/execution.js";
import { inOrder } from "../core/in-order.js";
import type { Coordinator, Leadership, Member } from "../core/ports/coordinator.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { ALL_TENANTS } from "../core/tenant.js";
import { withJobFields } from "../core/with-job-fields.js";
import { assignPartitions, carrySince, epochBase } from "./assignment.js";
import type { ClusterMetrics } from "./metrics.js";

/** Re-queues of a lost worker's runs under way at once. */
const REQUEUE_CONCURRENCY = 8;

export interface LeaderOptions {
  partitionCount: number;
  /** How often the leader looks for lost workers besides membership events. */
  failoverIntervalMs: number;
  /** A re-queued attempt not started this long after is sent again by the sweep. */
  startTimeoutMs: number;
  /** Coalesces bursts of membership changes into one publication. */
  settleMs: number;
}

/**
 * What the leader does while it holds leadership: keeps the partition
 * assignment in step with the live scheduler nodes (consistent hash ring,
 * so a join or leave moves about 1/N of the partitions), and re-queues the
 * RUNNING attempts of workers whose lease lapsed.
 */
export function startLeaderDuties(deps: {
  coordinator: Coordinator;
  leadership: Leadership;
  executions: ExecutionStore;
  /** Read for the priority of each re-queued run (its queue). */
  jobs: Pick<JobStore, "getJob" | "highestFenceEpoch">;
  queue: WorkQueue;
  clock: Clock;
  logger: Logger;
  metrics: ClusterMetrics;
  options: LeaderOptions;
}): { stop(): Promise<void> } {
  const { coordinator, leadership, executions, jobs, queue, clock, logger, metrics, options } =
    deps;
  let stopped = false;
  let schedulers: string[] | undefined;
  /**
   * The live workers, once the watch has told them: until then every known
   * worker would look lost, and a pass would re-queue live workers' runs and
   * forget them (so that their later death went unnoticed).
   */
  let workers: string[] | undefined;
  let publishTimer: Timer | undefined;
  const stops: Array<() => Promise<void>> = [];

  let publishing = false;
  /** The members changed during a publication: publish again when it ends. */
  let publishAgain = false;
  /**
   * One publication at a time, the last from the members as they are then.
   * Two at once could end in the wrong order: one computed before a join,
   * slow on its store read, published after the one with the new node, and
   * the new node owned nothing until the next membership change.
   */
  async function publish(): Promise<void> {
    if (publishing) {
      publishAgain = true;
      return;
    }
    publishing = true;
    try {
      do {
        publishAgain = false;
        await publishOnce();
      } while (publishAgain && !stopped);
    } finally {
      publishing = false;
    }
  }

  async function publishOnce(): Promise<void> {
    if (stopped || !schedulers || !leadership.isLeader()) return;
    if (schedulers.length === 0) return;
    const owners = assignPartitions(schedulers, options.partitionCount);
    const previous = await coordinator.readAssignment();
    if (previous && previous.owners.join() === owners.join()) return;
    const { base, carried } = epochBase(previous, await jobs.highestFenceEpoch());
    const since = carried ? carrySince(previous, owners) : owners.map(() => 0);
    const epoch = await coordinator.publishAssignment(leadership, owners, since, base);
    metrics.assignmentsPublished.inc();
    logger.info({ epoch, base, nodes: schedulers }, "published partition assignment");
  }

  function schedulePublish(): void {
    publishTimer?.cancel();
    publishTimer = clock.setTimeout(() => {
      publishTimer = undefined;
      publish().catch((err: unknown) => {
        logger.warn({ err }, "could not publish the assignment; retrying");
        if (!stopped) schedulePublish();
      });
    }, options.settleMs);
  }

  let failoverRunning = false;
  /** A member change came during a pass: pass again at once rather than at the next interval. */
  let failoverAgain = false;
  async function failover(): Promise<void> {
    if (stopped || !workers || !leadership.isLeader()) return;
    if (failoverRunning) {
      failoverAgain = true;
      return;
    }
    failoverRunning = true;
    failoverAgain = false;
    try {
      const watched = new Set(workers);
      const missing = (await coordinator.knownWorkers()).filter((id) => !watched.has(id));
      // The watch may lag: a worker that just joined is known before its
      // membership event arrives. A direct read settles it (a worker is a
      // member before it is known), so a live worker is never taken for lost.
      const live =
        missing.length > 0
          ? new Set((await coordinator.members("worker")).map((m) => m.id))
          : watched;
      for (const id of missing) {
        if (live.has(id)) continue;
        let remaining = 0;
        let token: string | undefined;
        do {
          // The lost worker's runs of every tenant; each re-queued attempt keeps its own.
          const page = await executions.listExecutions(ALL_TENANTS, {
            workerId: id,
            status: "RUNNING",
            pageSize: 100,
            ...(token ? { pageToken: token } : {}),
          });
          const now = clock.now();
          const runs: RunRef[] = [];
          // Each re-queue is a transaction of its own: several at a time, so
          // that a worker that held many runs has them back within a few
          // round trips, not one after another.
          await inOrder(page.items, REQUEUE_CONCURRENCY, async (execution) => {
            const next = await executions.requeue(
              execution,
              `worker ${id} lost (its lease lapsed); re-queued as attempt ${execution.attempt + 1}`,
              now,
              now + options.startTimeoutMs,
            );
            if (next) runs.push(next);
            else remaining++;
          });
          if (runs.length) {
            await queue.send(await withJobFields(runs, jobs));
            metrics.requeued.inc(runs.length);
            logger.warn({ worker: id, runs: runs.length }, "re-queued the runs of a lost worker");
          }
          token = page.nextToken;
        } while (token);
        if (remaining === 0) await coordinator.forgetWorker(id);
      }
    } catch (err) {
      logger.warn({ err }, "worker failover pass failed; will retry");
    } finally {
      failoverRunning = false;
    }
    if (failoverAgain) await failover();
  }

  const failoverTimer = every(clock, options.failoverIntervalMs, () => void failover());

  const keep = async (stop: () => Promise<void>) => {
    // stop() may have come while the watch was being set up.
    if (stopped) await stop();
    else stops.push(stop);
  };
  void (async () => {
    try {
      await keep(
        await coordinator.watchMembers("scheduler", (members: Member[]) => {
          if (!stopped) metrics.members.set({ role: "scheduler" }, members.length);
          schedulers = members.map((m) => m.id).sort();
          schedulePublish();
        }),
      );
      await keep(
        await coordinator.watchMembers("worker", (members: Member[]) => {
          if (!stopped) metrics.members.set({ role: "worker" }, members.length);
          workers = members.map((m) => m.id);
          void failover();
        }),
      );
    } catch (err) {
      logger.error({ err }, "leader could not watch members; resigning");
      await leadership.resign().catch(() => {});
    }
  })();

  return {
    async stop() {
      stopped = true;
      failoverTimer.cancel();
      publishTimer?.cancel();
      await Promise.all(stops.map((s) => s().catch(() => {})));
      // Only the leader reports members: a former leader's count would go stale.
      metrics.members.reset();
    },
  };
}
