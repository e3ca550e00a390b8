import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Adapters } from "../adapters/from-config.js";
import type { ClusterMetrics } from "../cluster/metrics.js";
import type { Config } from "../config/config.js";
import type { Clock } from "../core/clock.js";
import type { Coordinator } from "../core/ports/coordinator.js";
import type { WorkflowRuns } from "../core/workflow/runs.js";

/** The store and queue adapters of one process. */
export type { Adapters };

/** A job id no job has: reading it tells whether the store answers. */
export const STORE_PROBE_JOB = "store-probe";

/** A step of a graceful close; `startApp` runs them in order. */
export type Closer = () => Promise<void>;

/**
 * What every role's composition is built from: the config and the pieces
 * one process shares between its roles (adapters, the cluster coordinator,
 * metrics). `app.ts` makes it once; each role file takes what it needs.
 */
export interface RoleContext {
  config: Config;
  logger: Logger;
  clock: Clock;
  registry: Registry;
  adapters: Adapters;
  /** The etcd coordinator; absent when standalone. */
  cluster?: { coordinator: Coordinator; metrics: ClusterMetrics };
  workflowRuns: WorkflowRuns;
}
