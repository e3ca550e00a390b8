import { createInterceptors } from "../api/interceptors.js";
import { routes } from "../api/routes.js";
import { createRpcMetrics } from "../api/rpc-metrics.js";
import { startApiServer } from "../api/server.js";
import { defaultUiDir, uiAssets } from "../api/ui/assets.js";
import { createUiRoute } from "../api/ui/route.js";
import { createAuditWriter } from "../audit/writer.js";
import type { Authenticator } from "../auth/authenticate.js";
import { createClusterQueries } from "../cluster/view.js";
import { createWakeHints } from "../cluster/wake-hints.js";
import { createAuditQueries } from "../core/audit-queries.js";
import { createBackfillCommands } from "../core/backfill/index.js";
import { createCalendarCommands } from "../core/calendar-commands.js";
import { createDeadRunCommands } from "../core/dead-runs.js";
import { createFireLedger } from "../core/fire-ledger/index.js";
import { createFireStatsQueries } from "../core/fire-stats.js";
import { createJobCommands } from "../core/job-commands.js";
import { createTenantCommands } from "../core/tenant-commands.js";
import { createWorkflowCommands } from "../core/workflow/commands.js";
import { tracingEnabled } from "../observability/trace-context.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { Closer, RoleContext } from "./context.js";

export interface ApiRole {
  /** `http://host:port`. */
  url: string;
  /** Stops accepting and lets calls in flight finish; runs first on close. */
  close: Closer;
}

/**
 * The api role: every service on one port, behind auth unless
 * CHRONORING_AUTH_MODE=off, every change (and every call of an admin acting
 * on another tenant) recorded in the audit trail, and the admin UI's files at
 * `/ui/`. A run it schedules reaches this
 * process's scheduler at once (`localScheduler`), and scheduler nodes
 * elsewhere through an etcd wake hint when a poll would find it too late.
 */
export async function startApiRole(
  ctx: RoleContext,
  localScheduler: Scheduler | undefined,
  /** From `startAuth`; undefined only with CHRONORING_AUTH_MODE=off. */
  auth: Authenticator | undefined,
): Promise<ApiRole> {
  const { config, clock, cluster, logger } = ctx;
  const { jobs, executions, queue, calendars, workflows, retries, deadLetters, audit } =
    ctx.adapters;
  const hints = cluster
    ? createWakeHints({
        clock,
        options: config.scheduler,
        publish: (partition, nextRunMs) => cluster.coordinator.hintWake(partition, nextRunMs),
        logger,
        onHint: (result) => cluster.metrics.wakeHints.inc({ result }),
      })
    : undefined;
  const onScheduled = (partition: number, nextRunMs: number) => {
    localScheduler?.wake(partition, nextRunMs);
    hints?.scheduled(partition, nextRunMs);
  };
  const { partitions } = config.store;
  const slots = {
    tenants: ctx.adapters.tenants,
    defaults: config.tenants.defaults,
    claimAheadMs: config.scheduler.lookaheadMs,
  };
  const { startTimeoutMs } = config.scheduler;
  const commands = createJobCommands({
    jobs,
    executions,
    queue,
    clock,
    partitionCount: partitions,
    startTimeoutMs,
    calendars,
    emailEnabled: config.notify.smtpUrl !== "",
    targetAllow: config.targetAllow,
    onScheduled,
    slots,
  });
  if (config.auth.mode !== "off" && !auth) throw new Error("the api role needs its authenticator");
  const auditWriter = createAuditWriter({
    store: audit,
    logger,
    registry: ctx.registry,
    maxQueued: config.audit.queueMax,
  });
  let closing = false;
  const server = await startApiServer({
    host: config.api.host,
    port: config.api.port,
    logger,
    closeTimeoutMs: config.api.closeTimeoutMs,
    maxBodyBytes: config.api.maxBodyBytes,
    corsOrigins: config.api.corsOrigins,
    routes: routes({
      commands,
      calendars: createCalendarCommands({ calendars, clock }),
      workflows: createWorkflowCommands({
        jobs,
        executions,
        workflows,
        commands,
        clock,
        partitionCount: partitions,
        onScheduled,
        targetAllow: config.targetAllow,
        slots,
      }),
      cluster: createClusterQueries({ coordinator: cluster?.coordinator, executions }),
      deadRuns: createDeadRunCommands({
        retries,
        queue,
        deadLetters,
        clock,
        jobs,
        startTimeoutMs,
      }),
      audit: createAuditQueries({
        store: audit,
        clock,
        retentionDays: config.audit.retentionDays,
      }),
      fireStats: createFireStatsQueries({ store: ctx.adapters.fireStats, clock }),
      ledger: createFireLedger({ jobs, executions, clock, calendars }),
      tenants: createTenantCommands({ ...slots, clock }),
      backfills: createBackfillCommands({
        store: ctx.adapters.backfills,
        jobs,
        executions,
        calendars,
        clock,
      }),
      ready: () => !closing,
    }),
    interceptors: createInterceptors(logger, {
      metrics: createRpcMetrics(ctx.registry),
      ...(auth ? { auth } : {}),
      audit: { writer: auditWriter, clock },
      tracing: tracingEnabled(),
      storeTimeoutMs: config.api.storeTimeoutMs,
    }),
    metricsText: () => ctx.registry.metrics(),
    httpRoutes: createUiRoute({
      assets: uiAssets(config.uiDir || defaultUiDir()),
      authMode: config.auth.mode,
      logger,
    }),
    ...(auth && config.auth.metrics ? { metricsAuth: auth } : {}),
  });
  return {
    url: server.url,
    close: async () => {
      closing = true;
      await server.close();
      // The calls have ended: store what they recorded, for as long as a call may take.
      await auditWriter.close(config.api.closeTimeoutMs);
    },
  };
}
