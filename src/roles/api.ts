import { createInterceptors } from "../api/interceptors.js";
import { routes } from "../api/routes.js";
import { createRpcMetrics } from "../api/rpc-metrics.js";
import { startApiServer } from "../api/server.js";
import type { Authenticator } from "../auth/authenticate.js";
import { createClusterQueries } from "../cluster/view.js";
import { createWakeHints } from "../cluster/wake-hints.js";
import { createCalendarCommands } from "../core/calendar-commands.js";
import { createDeadRunCommands } from "../core/dead-runs.js";
import { createJobCommands } from "../core/job-commands.js";
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
 * CHRONORING_AUTH_MODE=off. A run it schedules reaches this
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
  const { jobs, executions, queue, calendars, workflows, retries, deadLetters } = ctx.adapters;
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
  });
  if (config.auth.mode !== "off" && !auth) throw new Error("the api role needs its authenticator");
  let closing = false;
  const server = await startApiServer({
    host: config.api.host,
    port: config.api.port,
    logger,
    closeTimeoutMs: config.api.closeTimeoutMs,
    maxBodyBytes: config.api.maxBodyBytes,
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
      ready: () => !closing,
    }),
    interceptors: createInterceptors(logger, {
      metrics: createRpcMetrics(ctx.registry),
      ...(auth ? { auth } : {}),
      tracing: tracingEnabled(),
    }),
    metricsText: () => ctx.registry.metrics(),
    ...(auth && config.auth.metrics ? { metricsAuth: auth } : {}),
  });
  return {
    url: server.url,
    close: async () => {
      closing = true;
      await server.close();
    },
  };
}
