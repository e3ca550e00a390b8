import type { Config } from "../config/config.js";
import type { Clock } from "../core/clock.js";
import { createDynamoAuditStore } from "./dynamodb/audit-store.js";
import { createDynamoBackfillStore } from "./dynamodb/backfill-store.js";
import { createDynamoCalendarStore } from "./dynamodb/calendar-store.js";
import type { CapacityCounter } from "./dynamodb/capacity-counter.js";
import { createDynamoClient, tableNames } from "./dynamodb/client.js";
import { createDynamoExecutionStore } from "./dynamodb/execution-store.js";
import { createDynamoFireStatsStore } from "./dynamodb/fire-stats-store.js";
import { createDynamoJobStore } from "./dynamodb/job-store.js";
import { createDynamoRetryStore } from "./dynamodb/retry-store.js";
import { createDynamoRunLimits } from "./dynamodb/run-limits.js";
import { createDynamoTenantStore } from "./dynamodb/tenant-store.js";
import { createDynamoWorkflowStore } from "./dynamodb/workflow-store.js";
import type { WriteCounter } from "./dynamodb/write-counter.js";
import { createMemoryAdapters } from "./memory/adapters.js";
import { createSqsDeadLetterQueue } from "./sqs/dead-letter-queue.js";
import { createSqsWorkQueue, type SqsOptions } from "./sqs/work-queue.js";

/** The run queues' settings (also used by the dispatch thread, which has its own SQS client). */
export function workQueueOptions(config: Config): SqsOptions {
  return {
    region: config.aws.region,
    ...(config.aws.sqsEndpoint ? { endpoint: config.aws.sqsEndpoint } : {}),
    ...(config.aws.localCredentials
      ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
    queuePrefix: config.queue.prefix,
    visibilityTimeoutS: config.queue.visibilityTimeoutS,
    maxReceiveCount: config.queue.maxReceiveCount,
    runsPerMessage: config.queue.runsPerMessage,
    maxAttempts: config.aws.maxAttempts,
    requestTimeoutMs: config.aws.requestTimeoutMs,
  };
}

type AdapterHooks = NonNullable<Parameters<typeof createAdapters>[1]>;

/** The stores and queues a process's roles use, whichever backend holds them. */
export type Adapters = Omit<ReturnType<typeof createAdapters>, "dynamo"> & {
  /** Releases the backend clients. */
  close(): void;
};

/**
 * The adapters `CHRONORING_STORE` chooses: DynamoDB and SQS, or all in this
 * process's memory (`memory`, not durable; its queue runs on `clock`).
 */
export function createStoreAdapters(
  config: Config,
  clock: Clock,
  hooks: AdapterHooks = {},
): Adapters {
  if (config.store.kind === "memory") {
    const memory = createMemoryAdapters({
      clock,
      visibilityTimeoutS: config.queue.visibilityTimeoutS,
      maxReceiveCount: config.queue.maxReceiveCount,
    });
    return { ...memory, onQueueRequest: undefined, close: () => {} };
  }
  const { dynamo, ...adapters } = createAdapters(config, { ...hooks, clock });
  return { ...adapters, close: () => dynamo.destroy() };
}

/**
 * The store and queue adapters as the config describes them (endpoints,
 * prefixes, retries, timeouts), not yet initialised. Shared by the app and
 * by tests that work below it.
 */
export function createAdapters(
  config: Config,
  options: {
    writeCounter?: WriteCounter;
    /** Counts the request units DynamoDB would bill (the benchmark's cost per fire). */
    capacityCounter?: CapacityCounter;
    /** Told of every SQS request, by command, with the requests billed for it. */
    onQueueRequest?: (command: string, requests: number) => void;
    /** Told of every throttled DynamoDB attempt, by command name. */
    onThrottle?: (command: string) => void;
    onMalformed?: (body: string | undefined) => void;
    /** Told when the run queues were found gone and created again. */
    onQueuesRecreated?: () => void;
    /** The queue's timers and send times run on it. Default the system clock. */
    clock?: Clock;
  } = {},
) {
  const credentials = config.aws.localCredentials
    ? { accessKeyId: "local", secretAccessKey: "local" }
    : undefined;
  const dynamo = createDynamoClient({
    region: config.aws.region,
    ...(config.aws.dynamodbEndpoint ? { endpoint: config.aws.dynamodbEndpoint } : {}),
    ...(credentials ? { credentials } : {}),
    tablePrefix: config.store.tablePrefix,
    maxAttempts: config.aws.maxAttempts,
    requestTimeoutMs: config.aws.requestTimeoutMs,
    ...(options.writeCounter ? { writeCounter: options.writeCounter } : {}),
    ...(options.capacityCounter ? { capacityCounter: options.capacityCounter } : {}),
    ...(options.onThrottle ? { onThrottle: options.onThrottle } : {}),
  });
  const storeOptions = {
    client: dynamo,
    tables: tableNames(config.store.tablePrefix),
    partitionCount: config.store.partitions,
  };
  const onRequest = options.onQueueRequest ? { onRequest: options.onQueueRequest } : {};
  const queue = createSqsWorkQueue(
    { ...workQueueOptions(config), ...onRequest },
    {
      ...(options.onMalformed && { onMalformed: options.onMalformed }),
      ...(options.onQueuesRecreated && { onQueuesRecreated: options.onQueuesRecreated }),
      ...(options.clock && { clock: options.clock }),
    },
  );
  return {
    dynamo,
    jobs: createDynamoJobStore(storeOptions),
    executions: createDynamoExecutionStore(storeOptions),
    limits: createDynamoRunLimits(storeOptions),
    calendars: createDynamoCalendarStore(storeOptions),
    workflows: createDynamoWorkflowStore(storeOptions),
    tenants: createDynamoTenantStore(storeOptions),
    queue,
    retries: createDynamoRetryStore(storeOptions),
    /** Not initialised with the others: only the api role writes it (`audit.init()`). */
    audit: createDynamoAuditStore({
      ...storeOptions,
      retentionDays: config.audit.retentionDays,
    }),
    fireStats: createDynamoFireStatsStore({
      client: dynamo,
      table: storeOptions.tables.fireStats,
    }),
    /** Created by its own `init()`, as the fire stats' table is. */
    backfills: createDynamoBackfillStore({ client: dynamo, table: storeOptions.tables.backfills }),
    deadLetters: createSqsDeadLetterQueue({
      region: config.aws.region,
      ...(config.aws.sqsEndpoint ? { endpoint: config.aws.sqsEndpoint } : {}),
      ...(credentials ? { credentials } : {}),
      queuePrefix: config.queue.prefix,
      maxAttempts: config.aws.maxAttempts,
      requestTimeoutMs: config.aws.requestTimeoutMs,
      ...onRequest,
    }),
    /** For clients made elsewhere from the config (the dispatch thread's): where their SQS requests are told. */
    onQueueRequest: options.onQueueRequest,
  };
}
