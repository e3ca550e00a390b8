import { extname } from "node:path";
import pino, { type Logger } from "pino";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { WriteCounter } from "./adapters/dynamodb/write-counter.js";
import { createEtcdCoordinator } from "./adapters/etcd/coordinator.js";
import { createAdapters } from "./adapters/from-config.js";
import { createInterceptors } from "./api/interceptors.js";
import { routes } from "./api/routes.js";
import { startApiServer } from "./api/server.js";
import { startLeaderDuties } from "./cluster/leader.js";
import { createClusterMetrics } from "./cluster/metrics.js";
import { type ClusterNode, startClusterNode } from "./cluster/node.js";
import { createClusterQueries } from "./cluster/view.js";
import { createWakeHints, followWakeHints } from "./cluster/wake-hints.js";
import type { Config } from "./config/config.js";
import { createCalendarCommands } from "./core/calendar-commands.js";
import { type Clock, systemClock } from "./core/clock.js";
import { createDeadRunCommands } from "./core/dead-runs.js";
import { createJobCommands } from "./core/job-commands.js";
import { partitionOf } from "./core/partition.js";
import type { Coordinator } from "./core/ports/coordinator.js";
import { PRIORITIES } from "./core/priority.js";
import { createWorkflowCommands } from "./core/workflow/commands.js";
import { createWorkflowRuns } from "./core/workflow/runs.js";
import { createNotifications } from "./notify/from-config.js";
import { startMetricsServer } from "./observability/metrics-server.js";
import { registerStoreMetrics } from "./observability/store-metrics.js";
import { startDispatchThread } from "./scheduler/dispatch-thread.js";
import { createSchedulerMetrics } from "./scheduler/metrics.js";
import { createScheduler, type Scheduler } from "./scheduler/scheduler.js";
import {
  createHandlerRegistry,
  defaultHandlers,
  type JobHandler,
} from "./worker/handlers/registry.js";
import { createWorkerMetrics } from "./worker/metrics.js";
import { followWorkerPause, type PauseFollower } from "./worker/pause.js";
import { createRetryMetrics } from "./worker/retry-metrics.js";
import { startWorker, type Worker } from "./worker/worker.js";
import { createNodeHook } from "./worker/workflow-hook.js";

export interface App {
  /** Base URL of the API, when this process serves it. */
  apiUrl?: string;
  scheduler?: Scheduler;
  worker?: Worker;
  registry: Registry;
  /** DynamoDB item writes made by this process. */
  writes: WriteCounter;
  /** The cluster coordinator, unless standalone. */
  coordinator?: Coordinator;
  /** This process's scheduler membership, in cluster mode. */
  schedulerNode?: ClusterNode;
  close(): Promise<void>;
}

export interface AppOverrides {
  logger?: Logger;
  clock?: Clock;
  registry?: Registry;
  /** Replaces the default job handlers (tests add their own). */
  handlers?: JobHandler[];
}

/** Retries a backend call at start, so that a process may start before its backends. */
async function untilReady<T>(what: string, logger: Logger, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      if (attempt === 1 || attempt % 10 === 0)
        logger.warn({ err: String(err) }, `waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Composes the roles this process runs (api, scheduler, worker) from the
 * config: one place where adapters meet core. `main.ts` owns the process.
 */
export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? pino({ level: config.logLevel, base: { pid: process.pid } });
  const clock = overrides.clock ?? systemClock;
  const registry = overrides.registry ?? new Registry();
  if (!overrides.registry) collectDefaultMetrics({ register: registry });
  const writes = new WriteCounter();
  const { dynamo, jobs, executions, limits, queue, retries, deadLetters, calendars, workflows } =
    createAdapters(config, {
      writeCounter: writes,
      onMalformed: (body) => logger.warn({ body: body?.slice(0, 200) }, "malformed run message"),
    });
  await untilReady("DynamoDB", logger, () => jobs.init());
  await untilReady("SQS", logger, () => queue.init());
  await untilReady("SQS", logger, () => deadLetters.init());

  new Gauge({
    name: "chronoring_queue_depth",
    help: "Messages in the run queues, by priority and state (visible, in_flight, delayed)",
    labelNames: ["priority", "state"],
    registers: [registry],
    async collect() {
      await Promise.all(
        PRIORITIES.map(async (p) => {
          try {
            const d = await queue.depth(p);
            const priority = p.toLowerCase();
            this.set({ priority, state: "visible" }, d.visible);
            this.set({ priority, state: "in_flight" }, d.inFlight);
            this.set({ priority, state: "delayed" }, d.delayed);
          } catch {
            // the scrape still answers; the gauge keeps its last value
          }
        }),
      );
    },
  });

  registerStoreMetrics(registry, writes);
  const workflowRuns = createWorkflowRuns({
    workflows,
    queue,
    clock,
    startTimeoutMs: config.scheduler.startTimeoutMs,
    partitionOf: (jobId) => partitionOf(jobId, config.store.partitions),
  });
  const app: App = { registry, writes, close: async () => {} };
  const closers: Array<() => Promise<void>> = [];
  if (config.metricsPort > 0 && !config.roles.includes("api")) {
    const metricsServer = await startMetricsServer(registry, config.api.host, config.metricsPort);
    closers.push(() => metricsServer.close());
  }

  const cluster = config.etcd.endpoints.length > 0;
  const coordinator = cluster
    ? createEtcdCoordinator({
        endpoints: config.etcd.endpoints,
        prefix: config.etcd.prefix,
        logger,
        clock,
      })
    : undefined;
  const clusterMetrics = cluster ? createClusterMetrics(registry) : undefined;
  if (coordinator) app.coordinator = coordinator;

  if (config.roles.includes("scheduler")) {
    const schedulerLogger = logger.child({ role: "scheduler", node: config.cluster.nodeId });
    let node: ClusterNode | undefined;
    const schedulerMetrics = createSchedulerMetrics(registry);
    const scheduler = createScheduler({
      jobs,
      executions,
      queue,
      clock,
      logger: schedulerLogger,
      metrics: schedulerMetrics,
      // Runs are sent from a thread of their own, on time whatever the loops do
      // (a test's own clock keeps the dispatcher in this thread).
      ...(clock === systemClock
        ? {
            dispatcher: startDispatchThread({
              entry: new URL(`./dispatch-worker${extname(import.meta.url)}`, import.meta.url),
              data: { config },
              metrics: schedulerMetrics,
              logger: schedulerLogger,
            }),
          }
        : {}),
      options: config.scheduler,
      nodeId: config.cluster.nodeId,
      canClaim: () => !coordinator || (node?.isLive() ?? false),
      calendarStore: calendars,
    });
    app.scheduler = scheduler;
    if (coordinator) {
      const hints = followWakeHints({
        coordinator,
        onWake: (partition, nextRunMs) => scheduler.wake(partition, nextRunMs),
        logger: schedulerLogger,
      });
      closers.push(() => hints.stop());
    }
    if (coordinator && clusterMetrics) {
      node = startClusterNode({
        coordinator,
        logger: schedulerLogger,
        metrics: clusterMetrics,
        options: {
          id: config.cluster.nodeId,
          role: "scheduler",
          sessionTtlMs: config.etcd.sessionTtlMs,
          info: { pid: String(process.pid), api: config.roles.includes("api") ? "yes" : "no" },
        },
        onPartitions: (owned) => scheduler.setPartitions(owned),
        onLeadership: (leadership) =>
          startLeaderDuties({
            coordinator,
            leadership,
            executions,
            jobs,
            queue,
            clock,
            logger: schedulerLogger.child({ leader: true }),
            metrics: clusterMetrics,
            options: {
              partitionCount: config.store.partitions,
              failoverIntervalMs: config.cluster.failoverIntervalMs,
              startTimeoutMs: config.scheduler.startTimeoutMs,
              settleMs: 200,
            },
          }),
      });
      app.schedulerNode = node;
      const schedulerNode = node;
      closers.push(() => schedulerNode.stop());
    } else {
      // Standalone: this process owns every partition, unfenced.
      scheduler.setPartitions(
        Array.from({ length: config.store.partitions }, (_, partition) => ({ partition })),
      );
    }
    closers.push(() => scheduler.stop());
  }

  if (config.roles.includes("worker")) {
    const workerLogger = logger.child({ role: "worker", workerId: config.worker.id });
    let node: ClusterNode | undefined;
    const workerMetrics = createWorkerMetrics(registry);
    // PauseWorker through the API: stop receiving, let held runs finish.
    const pause: PauseFollower | undefined = coordinator
      ? followWorkerPause({
          coordinator,
          workerId: config.worker.id,
          logger: workerLogger,
          onChange: (paused) => workerMetrics.paused.set(paused ? 1 : 0),
        })
      : undefined;
    const handlers = createHandlerRegistry(
      overrides.handlers ??
        defaultHandlers({
          scriptAllowList: config.worker.scriptAllowList,
          maxOutputBytes: config.worker.maxOutputBytes,
          scriptMemoryMb: config.worker.scriptMemoryMb,
          workflows: workflowRuns,
        }),
    );
    const notifications = createNotifications(config, { jobs, logger: workerLogger, registry });
    const worker = startWorker({
      queue,
      jobs,
      executions,
      handlers,
      clock,
      logger: workerLogger,
      metrics: workerMetrics,
      options: {
        id: config.worker.id,
        concurrency: config.worker.concurrency,
        visibilityTimeoutS: config.queue.visibilityTimeoutS,
        drainTimeoutMs: 10_000,
      },
      canWork: () => !coordinator || ((node?.isLive() ?? false) && !pause?.isPaused()),
      limits: {
        limits,
        retryMs: config.worker.limitRetryMs,
        startTimeoutMs: config.scheduler.startTimeoutMs,
      },
      retry: {
        jobs,
        retries,
        queue,
        deadLetters,
        metrics: createRetryMetrics(registry),
        queueMaxDelayMs: config.queue.maxDelayMs,
        startTimeoutMs: config.scheduler.startTimeoutMs,
      },
      notifications,
      workflows: createNodeHook(workflowRuns, executions, workerLogger),
    });
    app.worker = worker;
    if (pause) closers.push(() => pause.stop());
    // Drain first, then leave the cluster: a worker that left while running
    // would have its runs re-queued by the leader.
    closers.push(() => worker.stop());
    closers.push(async () => notifications.close());
    if (coordinator && clusterMetrics) {
      node = startClusterNode({
        coordinator,
        logger: workerLogger,
        metrics: clusterMetrics,
        options: {
          id: config.worker.id,
          role: "worker",
          sessionTtlMs: config.etcd.sessionTtlMs,
          info: { pid: String(process.pid), concurrency: String(config.worker.concurrency) },
        },
        onRegistered: () => coordinator.rememberWorker(config.worker.id),
        onLost: () => worker.abortRunning("this worker lost its cluster session"),
      });
      const workerNode = node;
      closers.push(() => workerNode.stop());
    }
  }

  if (config.roles.includes("api")) {
    // Runs scheduled here reach this process's scheduler at once, and the
    // scheduler nodes elsewhere through etcd when a poll would come too late.
    const hints =
      coordinator && clusterMetrics
        ? createWakeHints({
            clock,
            options: config.scheduler,
            publish: (partition, nextRunMs) => coordinator.hintWake(partition, nextRunMs),
            logger,
            onHint: (result) => clusterMetrics.wakeHints.inc({ result }),
          })
        : undefined;
    const onScheduled = (partition: number, nextRunMs: number) => {
      app.scheduler?.wake(partition, nextRunMs);
      hints?.scheduled(partition, nextRunMs);
    };
    const commands = createJobCommands({
      jobs,
      executions,
      queue,
      clock,
      partitionCount: config.store.partitions,
      startTimeoutMs: config.scheduler.startTimeoutMs,
      calendars,
      emailEnabled: config.notify.smtpUrl !== "",
      onScheduled,
    });
    let closing = false;
    const server = await startApiServer({
      host: config.api.host,
      port: config.api.port,
      maxBodyBytes: config.api.maxBodyBytes,
      logger,
      routes: routes({
        commands,
        calendars: createCalendarCommands({ calendars, clock }),
        workflows: createWorkflowCommands({
          jobs,
          executions,
          workflows,
          commands,
          clock,
          partitionCount: config.store.partitions,
          onScheduled,
        }),
        cluster: createClusterQueries({ coordinator, executions }),
        deadRuns: createDeadRunCommands({
          retries,
          queue,
          deadLetters,
          clock,
          jobs,
          startTimeoutMs: config.scheduler.startTimeoutMs,
        }),
        ready: () => !closing,
      }),
      interceptors: createInterceptors(logger),
      metricsText: () => registry.metrics(),
    });
    app.apiUrl = server.url;
    closers.unshift(async () => {
      closing = true;
      await server.close();
    });
  }

  app.close = async () => {
    for (const close of closers) await close();
    await coordinator?.close();
    dynamo.destroy();
  };
  logger.info({ roles: config.roles, api: app.apiUrl }, "chronoring started");
  return app;
}
