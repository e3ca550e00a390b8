/**
 * The job-type handlers a worker can run, looked up by `JobTarget["type"]`.
 * A handler reports a job's failure as `{ ok: false }` and throws only for
 * programming errors, so that the worker loop has one path for results.
 */
import type { Dispatcher } from "undici";
import type { Clock } from "../../core/clock.js";
import type { WorkflowRuns } from "../../core/workflow/runs.js";
import { createDatabaseHandler } from "./database.js";
import type { DatabasePools } from "./database-pools.js";
import { createFileHandler } from "./file.js";
import type { JobHandler } from "./handler.js";
import { createHttpHandler } from "./http.js";
import { createNoopHandler } from "./noop.js";
import { createScriptHandler } from "./script.js";
import { createWebhookHandler } from "./webhook.js";
import { createWorkflowHandler } from "./workflow.js";

export type { HandlerResult, JobHandler, RunContext } from "./handler.js";

export interface HandlerRegistry {
  get(type: string): JobHandler | undefined;
  /** Registered types, in registration order. */
  types(): string[];
}

/** Indexes handlers by type; two handlers for one type is a wiring bug and throws. */
export function createHandlerRegistry(handlers: JobHandler[]): HandlerRegistry {
  const byType = new Map<string, JobHandler>();
  for (const handler of handlers) {
    if (byType.has(handler.type)) {
      throw new Error(`duplicate handler for job type "${handler.type}"`);
    }
    byType.set(handler.type, handler);
  }
  return {
    get: (type) => byType.get(type),
    types: () => [...byType.keys()],
  };
}

export interface HandlerOptions {
  /** Exact `command` strings a script job may run. */
  scriptAllowList: string[];
  /** Cap on a summary, in UTF-8 bytes. Default 4096. */
  maxOutputBytes?: number;
  /** Per-process memory cap for scripts, in MiB; 0 disables it. Default 256. */
  scriptMemoryMb?: number;
  /** Who scripts run as (the worker must be root); absent: the worker's own user. */
  scriptUser?: { uid: number; gid: number };
  /** RLIMIT_NPROC of scripts (every process of their uid); 0 disables it. Default 256. */
  scriptMaxProcs?: number;
  /** Names passed from the worker's environment to scripts (and that a job may set). */
  scriptEnvAllow?: string[];
  /** Root name → directory of file jobs (CHRONORING_FILE_ROOTS); default none (every file job is refused). */
  fileRoots?: Record<string, string>;
  /** The worker's database connections; without them, this worker has no `database` handler. */
  databases?: DatabasePools;
  /** Starts workflow runs; without it, this worker has no `workflow` handler. */
  workflows?: WorkflowRuns;
  /**
   * The http and webhook handlers connect through it (safe-dispatcher.ts);
   * default: a shared one that admits no internal address.
   */
  dispatcher?: Dispatcher;
  /** Jobs' timeouts (and noop's sleep) run on it. Default the system clock. */
  clock?: Clock;
}

/**
 * The built-in handlers: http, script, noop, webhook, file (and database, given
 * `databases`; workflow, given `workflows`).
 */
export function defaultHandlers(options: HandlerOptions): JobHandler[] {
  const clock = options.clock ? { clock: options.clock } : {};
  return [
    createHttpHandler({
      maxOutputBytes: options.maxOutputBytes,
      dispatcher: options.dispatcher,
      ...clock,
    }),
    createScriptHandler({
      allowList: options.scriptAllowList,
      maxOutputBytes: options.maxOutputBytes,
      memoryMb: options.scriptMemoryMb,
      user: options.scriptUser,
      maxProcs: options.scriptMaxProcs,
      envAllow: options.scriptEnvAllow,
      ...clock,
    }),
    createNoopHandler(options.clock),
    createWebhookHandler({
      maxOutputBytes: options.maxOutputBytes,
      dispatcher: options.dispatcher,
      ...clock,
    }),
    createFileHandler({
      roots: options.fileRoots ?? {},
      maxOutputBytes: options.maxOutputBytes,
      ...clock,
    }),
    ...(options.databases
      ? [
          createDatabaseHandler({
            pools: options.databases,
            maxOutputBytes: options.maxOutputBytes,
            ...clock,
          }),
        ]
      : []),
    ...(options.workflows ? [createWorkflowHandler(options.workflows)] : []),
  ];
}
