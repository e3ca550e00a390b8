import pino, { type Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { CapacityCounter } from "./adapters/dynamodb/capacity-counter.js";
import { WriteCounter } from "./adapters/dynamodb/write-counter.js";
import { createEtcdCoordinator } from "./adapters/etcd/coordinator.js";
import { createStoreAdapters } from "./adapters/from-config.js";
import { startAuth } from "./auth/from-config.js";
import { createClusterMetrics } from "./cluster/metrics.js";
import type { ClusterNode } from "./cluster/node.js";
import type { Config } from "./config/config.js";
import { type Clock, systemClock } from "./core/clock.js";
import { partitionOf } from "./core/partition.js";
import type { AuditStore } from "./core/ports/audit-store.js";
import type { Coordinator } from "./core/ports/coordinator.js";
import { retry } from "./core/retry.js";
import { createWorkflowRuns } from "./core/workflow/runs.js";
import { startMetricsServer } from "./observability/metrics-server.js";
import { createQueueRequestMetric, registerQueueMetrics } from "./observability/queue-metrics.js";
import { registerStoreMetrics } from "./observability/store-metrics.js";
import { traceMixin, tracingEnabled } from "./observability/trace-context.js";
import { startTracing, type Tracing } from "./observability/tracing.js";
import { startApiRole } from "./roles/api.js";
import type { Closer, RoleContext } from "./roles/context.js";
import { startSchedulerRole } from "./roles/scheduler.js";
import { startWorkerRole } from "./roles/worker.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import type { JobHandler } from "./worker/handlers/registry.js";
import type { Worker } from "./worker/worker.js";

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
  /** Replaces the audit trail's store (tests give one whose backend is down). */
  auditStore?: AuditStore;
}

/**
 * Retries a backend call at start, every 0.5 s for up to `waitMs`, so that a
 * process may start before its backends.
 */
function untilReady<T>(
  what: string,
  { logger, clock }: { logger: Logger; clock: Clock },
  waitMs: number,
  call: () => Promise<T>,
): Promise<T> {
  return retry({ baseMs: 500, maxMs: 500, factor: 1, maxElapsedMs: waitMs }, call, clock, {
    onRetry: (err, attempt) => {
      if (attempt === 1 || attempt % 10 === 0)
        logger.warn({ err: String(err) }, `waiting for ${what}`);
    },
  });
}

/**
 * Composes the roles this process runs from the config: the parts they
 * share (adapters, the etcd coordinator, metrics) here, each role in its
 * own file under `roles/`. `main.ts` owns the process.
 */
export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  // Tracing first, so that the logger's mixin and the roles see it on. A
  // process has one tracer provider: one already started (a test's) is kept.
  const tracing: Tracing | undefined =
    config.tracing.otlpEndpoint !== "" && !tracingEnabled()
      ? startTracing({
          nodeId: config.cluster.nodeId,
          roles: config.roles,
          samplePercent: config.tracing.samplePercent,
          export: { otlpEndpoint: config.tracing.otlpEndpoint },
        })
      : undefined;
  const logger =
    overrides.logger ??
    pino({
      level: config.logLevel,
      base: { pid: process.pid },
      // trace_id and span_id on lines written inside a span.
      ...(tracingEnabled() ? { mixin: traceMixin } : {}),
    });
  const clock = overrides.clock ?? systemClock;
  const registry = overrides.registry ?? new Registry();
  if (!overrides.registry) collectDefaultMetrics({ register: registry });
  // First, so that a JWKS file that cannot be read stops the start before anything runs.
  const checksTokens =
    config.roles.includes("api") || (config.metricsPort > 0 && config.auth.metrics);
  const auth = checksTokens ? await startAuth(config.auth, { clock, logger }) : undefined;
  const writes = new WriteCounter();
  const capacity = new CapacityCounter();
  const storeMetrics = registerStoreMetrics(registry, writes, capacity);
  const adapters = createStoreAdapters(config, clock, {
    writeCounter: writes,
    capacityCounter: capacity,
    onQueueRequest: createQueueRequestMetric(registry),
    onThrottle: storeMetrics.throttled,
    onMalformed: (body) => logger.warn({ body: body?.slice(0, 200) }, "malformed run message"),
    onQueuesRecreated: () =>
      logger.warn(
        "the run queues were gone and are created again; their messages are lost, and the recovery sweep sends the claimed runs that did not start",
      ),
  });
  if (overrides.auditStore) adapters.audit = overrides.auditStore;
  const { jobs, queue, deadLetters, workflows } = adapters;
  const waitMs = config.backendWaitMs;
  await untilReady("DynamoDB", { logger, clock }, waitMs, () => jobs.init());
  await untilReady("DynamoDB", { logger, clock }, waitMs, () => adapters.fireStats.init());
  await untilReady("DynamoDB", { logger, clock }, waitMs, () => adapters.backfills.init());
  await untilReady("SQS", { logger, clock }, waitMs, () => queue.init());
  await untilReady("SQS", { logger, clock }, waitMs, () => deadLetters.init());
  if (config.roles.includes("api")) {
    await untilReady("DynamoDB", { logger, clock }, waitMs, () => adapters.audit.init());
  }
  registerQueueMetrics(registry, queue);

  const app: App = { registry, writes, close: async () => {} };
  const closers: Closer[] = [];
  if (config.metricsPort > 0 && !config.roles.includes("api")) {
    const metricsServer = await startMetricsServer(
      registry,
      config.api.host,
      config.metricsPort,
      config.auth.metrics ? auth : undefined,
    );
    closers.push(() => metricsServer.close());
  }
  const coordinator =
    config.etcd.endpoints.length > 0
      ? createEtcdCoordinator({
          endpoints: config.etcd.endpoints,
          prefix: config.etcd.prefix,
          logger,
          clock,
        })
      : undefined;
  if (coordinator) app.coordinator = coordinator;
  const ctx: RoleContext = {
    config,
    logger,
    clock,
    registry,
    adapters,
    ...(coordinator ? { cluster: { coordinator, metrics: createClusterMetrics(registry) } } : {}),
    workflowRuns: createWorkflowRuns({
      workflows,
      queue,
      clock,
      startTimeoutMs: config.scheduler.startTimeoutMs,
      partitionOf: (jobId) => partitionOf(jobId, config.store.partitions),
    }),
  };

  if (config.roles.includes("scheduler")) {
    const role = startSchedulerRole(ctx);
    app.scheduler = role.scheduler;
    if (role.node) app.schedulerNode = role.node;
    closers.push(...role.closers);
  }
  if (config.roles.includes("worker")) {
    const role = startWorkerRole(ctx, overrides.handlers);
    app.worker = role.worker;
    closers.push(...role.closers);
  }
  if (config.roles.includes("api")) {
    const role = await startApiRole(ctx, app.scheduler, auth);
    app.apiUrl = role.url;
    closers.unshift(role.close);
  }

  app.close = async () => {
    for (const close of closers) await close();
    await coordinator?.close();
    adapters.close();
    // Last: the spans of the closing itself are sent too.
    await tracing?.stop();
  };
  logger.info({ roles: config.roles, api: app.apiUrl }, "chronoring started");
  return app;
}
