import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { boundCalls, DeadlineHttpHandler } from "./call-deadline.js";
import type { CapacityCounter } from "./capacity-counter.js";
import { countThrottles } from "./throttle-counter.js";
import type { WriteCounter } from "./write-counter.js";

export interface DynamoOptions {
  /** Custom endpoint (DynamoDB Local, LocalStack); absent for AWS. */
  endpoint?: string;
  region: string;
  /** Static credentials for local endpoints; absent uses the default AWS chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Table name prefix, so that tests and environments can share one endpoint. */
  tablePrefix: string;
  /** SDK attempts per call (retries with backoff on throttling and network errors). */
  maxAttempts: number;
  /** Per-request timeout, ms. */
  requestTimeoutMs: number;
  /** Counts item writes (for the benchmark and metrics). */
  writeCounter?: WriteCounter;
  /** Counts the request units DynamoDB would bill. */
  capacityCounter?: CapacityCounter;
  /** Told of every throttled attempt, retried or not, by command name (metrics). */
  onThrottle?: (command: string) => void;
}

export function createDynamoClient(options: DynamoOptions): DynamoDBClient {
  const client = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts,
    // Bounds the api role's calls as a whole (call-deadline.ts).
    requestHandler: new DeadlineHttpHandler({
      requestTimeout: options.requestTimeoutMs,
      // Without this the SDK only warns, and a backend that accepts a
      // connection but never answers hangs the caller.
      throwOnRequestTimeout: true,
      connectionTimeout: Math.min(options.requestTimeoutMs, 3000),
    }),
  });
  boundCalls(client);
  options.writeCounter?.attach(client);
  options.capacityCounter?.attach(client);
  if (options.onThrottle) countThrottles(client, options.onThrottle);
  return client;
}

export interface TableNames {
  jobs: string;
  executions: string;
  /** One item per partition: its owner's fence (epoch, owner). */
  partitions: string;
  /** Named calendars (time policies). */
  calendars: string;
  /** Workflow definitions, and the runs of each workflow (see `workflow-store.ts`). */
  workflows: string;
  workflowRuns: string;
  /** The audit trail (see `audit-store.ts`). */
  audit: string;
  /** Start counts per tenant and minute (`fire-stats-store.ts`). */
  fireStats: string;
  /** Tenants' quotas and slot counters, and their usage reports (see `tenant-store.ts`). */
  tenants: string;
  /** Backfill records (see `backfill-store.ts`). */
  backfills: string;
}

export function tableNames(prefix: string): TableNames {
  return {
    jobs: `${prefix}jobs`,
    executions: `${prefix}executions`,
    partitions: `${prefix}partitions`,
    calendars: `${prefix}calendars`,
    workflows: `${prefix}workflows`,
    workflowRuns: `${prefix}workflow_runs`,
    audit: `${prefix}audit`,
    fireStats: `${prefix}fire_stats`,
    tenants: `${prefix}tenants`,
    backfills: `${prefix}backfills`,
  };
}
