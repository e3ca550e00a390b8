import { type ClusterNode, startClusterNode } from "../cluster/node.js";
import { createStoreOutage } from "../cluster/store-outage.js";
import { every } from "../core/clock.js";
import { isChronoringError } from "../core/errors.js";
import { ALL_TENANTS } from "../core/tenant.js";
import { createNotifications } from "../notify/from-config.js";
import { countingStarts, startFireStatsRecorder } from "../worker/fire-stats-recorder.js";
import { createDatabasePools } from "../worker/handlers/database-pools.js";
import {
  createHandlerRegistry,
  defaultHandlers,
  type JobHandler,
} from "../worker/handlers/registry.js";
import { createSafeDispatcher } from "../worker/handlers/safe-dispatcher.js";
import { createWorkerMetrics } from "../worker/metrics.js";
import { followWorkerPause, type PauseFollower } from "../worker/pause.js";
import { createRetryMetrics } from "../worker/retry-metrics.js";
import { watchStoreForIntake } from "../worker/store-aside.js";
import { createTenantGate } from "../worker/tenant-gate.js";
import { startWorker, type Worker } from "../worker/worker.js";
import { createNodeHook } from "../worker/workflow-hook.js";
import { type Closer, type RoleContext, STORE_PROBE_JOB } from "./context.js";

export interface WorkerRole {
  worker: Worker;
  closers: Closer[];
}

/**
 * The worker role: receives runs, starts each once (conditional start in
 * the store), runs its handler and records the outcome, retries and dead
 * runs. In cluster mode it joins etcd as a worker member (its lease is its
 * heartbeat) and follows PauseWorker.
 */
export function startWorkerRole(ctx: RoleContext, handlerOverrides?: JobHandler[]): WorkerRole {
  const { config, clock, cluster } = ctx;
  const { jobs, queue, retries, deadLetters } = ctx.adapters;
  const logger = ctx.logger.child({ role: "worker", workerId: config.worker.id });
  // Every start is counted in memory for GetFireStats; a flush adds the
  // counts to one item per tenant and minute, not one write per run.
  const fireStats = startFireStatsRecorder({
    store: ctx.adapters.fireStats,
    clock,
    logger,
    flushMs: config.worker.fireStatsFlushMs,
  });
  const { executions, limits } = countingStarts(ctx.adapters, fireStats);
  const closers: Closer[] = [];
  const metrics = createWorkerMetrics(ctx.registry);
  let node: ClusterNode | undefined;
  // PauseWorker through the API: stop receiving, let held runs finish.
  const pause: PauseFollower | undefined = cluster
    ? followWorkerPause({
        coordinator: cluster.coordinator,
        workerId: config.worker.id,
        logger,
        onChange: (paused) => metrics.paused.set(paused ? 1 : 0),
        clock,
      })
    : undefined;
  // One connection pool for job targets and notification webhooks, with the SSRF check.
  const targets = createSafeDispatcher({ allow: config.targetAllow });
  // Pools open on a database job's first run; a name not held fails that run.
  const databases = createDatabasePools(config.worker.databaseConnections, { logger });
  const handlers = createHandlerRegistry(
    handlerOverrides ??
      defaultHandlers({
        scriptAllowList: config.worker.scriptAllowList,
        maxOutputBytes: config.worker.maxOutputBytes,
        scriptMemoryMb: config.worker.scriptMemoryMb,
        scriptUser: config.worker.scriptUser,
        scriptMaxProcs: config.worker.scriptMaxProcs,
        scriptEnvAllow: config.worker.scriptEnvAllow,
        fileRoots: config.worker.fileRoots,
        workflows: ctx.workflowRuns,
        dispatcher: targets,
        clock,
        databases,
      }),
  );
  const notifications = createNotifications(config, {
    jobs,
    logger,
    registry: ctx.registry,
    dispatcher: targets,
    clock,
  });
  const startTimeoutMs = config.scheduler.startTimeoutMs;
  // Each tenant's fire-time quotas, split evenly over the live workers.
  let workers = 1;
  if (cluster) {
    const count = () =>
      cluster.coordinator
        .members("worker")
        .then((m) => {
          workers = Math.max(1, m.length);
        })
        .catch((err: unknown) => logger.debug({ err }, "could not count the workers"));
    void count();
    const timer = every(clock, 10_000, () => void count(), { unref: true });
    closers.push(async () => timer.cancel());
  }
  const tenantGate = createTenantGate({
    tenants: ctx.adapters.tenants,
    defaults: config.tenants.defaults,
    clock,
    workers: () => workers,
    retryMs: config.worker.limitRetryMs,
    logger,
  });
  // Cut off from the store alone (etcd still hears it), the worker would
  // take runs whose start cannot land: past the outage bound it takes none
  // until a read answers again (store-aside.ts).
  const outage = createStoreOutage({
    clock,
    outageMs: config.cluster.storeOutageMs,
    answered: (err) => !isChronoringError(err, "unavailable"),
  });
  const storeAside =
    config.cluster.storeOutageMs > 0
      ? watchStoreForIntake({
          outage,
          probe: () => jobs.getJob(ALL_TENANTS, STORE_PROBE_JOB),
          clock,
          logger,
        })
      : undefined;
  if (storeAside) closers.push(async () => storeAside.stop());
  const worker = startWorker({
    queue,
    jobs,
    executions,
    handlers,
    clock,
    logger,
    metrics,
    options: {
      id: config.worker.id,
      concurrency: config.worker.concurrency,
      intakeBuffer: config.worker.intakeBuffer,
      visibilityTimeoutS: config.queue.visibilityTimeoutS,
      drainTimeoutMs: config.worker.drainTimeoutMs,
      lostRunRecheckMs: startTimeoutMs,
    },
    canWork: () =>
      (!cluster || ((node?.isLive() ?? false) && !pause?.isPaused())) && !storeAside?.isAside(),
    storeCalls: outage,
    limits: { limits, retryMs: config.worker.limitRetryMs, startTimeoutMs },
    retry: {
      jobs,
      retries,
      queue,
      deadLetters,
      metrics: createRetryMetrics(ctx.registry),
      queueMaxDelayMs: config.queue.maxDelayMs,
      startTimeoutMs,
    },
    notifications,
    workflows: createNodeHook(ctx.workflowRuns, executions, logger, clock),
    tenantGate,
    // A job paused by its pause_after_failures gives its slot back, as PauseJob does.
    slots: {
      tenants: ctx.adapters.tenants,
      defaults: config.tenants.defaults,
      claimAheadMs: config.scheduler.lookaheadMs,
    },
  });
  if (pause) closers.push(() => pause.stop());
  // Drain first, then leave the cluster: a worker that left while running
  // would have its runs re-queued by the leader.
  closers.push(() => worker.stop());
  closers.push(() => fireStats.stop());
  closers.push(async () => notifications.close());
  closers.push(() => targets.close());
  closers.push(() => databases.close());
  if (cluster) {
    const { coordinator } = cluster;
    node = startClusterNode({
      coordinator,
      logger,
      clock,
      metrics: cluster.metrics,
      options: {
        id: config.worker.id,
        role: "worker",
        sessionTtlMs: config.etcd.sessionTtlMs,
        info: { pid: String(process.pid), concurrency: String(config.worker.concurrency) },
      },
      onRegistered: () => coordinator.rememberWorker(config.worker.id),
      onLost: () => worker.abortRunning("this worker lost its cluster session"),
    });
    const member = node;
    closers.push(() => member.stop());
  }
  return { worker, closers };
}
