import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { freePort, startBackends } from "../deploy/local/backends.js";
import { type ChronoringProcess, startChronoring } from "../deploy/local/chronoring-process.js";
import { JobService } from "../gen/chronoring/v1/job_service_pb.js";
import { batchPut } from "../src/adapters/dynamodb/batch-write.js";
import { tableNames } from "../src/adapters/dynamodb/client.js";
import { jobToItem } from "../src/adapters/dynamodb/job-item.js";
import { ensureTables } from "../src/adapters/dynamodb/tables.js";
import { DEFAULT_TENANT } from "../src/core/caller.js";
import { newJobId } from "../src/core/ids.js";
import type { Job } from "../src/core/job.js";
import { partitionOf } from "../src/core/partition.js";
import { round } from "./stats.js";

export interface ImportOptions {
  schedules: number;
  partitions: number;
  /** Items sampled for the BatchWriteItem ceiling (at most `schedules`). */
  ceilingItems: number;
  /** BatchWriteItem requests in flight for the ceiling: what saturates the store. */
  ceilingConcurrency: number;
}

const PREFIX = "bench-";
const SCRATCH = "bench-scratch-";
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
const PER_MESSAGE = 500;
const YEARLY = "0 0 1 1 *";

/** The job of schedule `i` as ImportJobs gets it: a yearly noop, 100 owners. */
function request(i: number) {
  return {
    name: `import-${i}`,
    owner: `owner-${i % 100}`,
    schedule: { kind: { case: "cron" as const, value: YEARLY } },
    target: { kind: { case: "noop" as const, value: {} } },
    tags: ["bench"],
  };
}

/** The stored item of that job, as the store lays it out (for the raw ceiling). */
function storedJob(i: number, now: number, partitions: number): Job {
  const id = newJobId(now);
  return {
    id,
    tenant: DEFAULT_TENANT,
    name: `import-${i}`,
    schedule: { kind: "cron", source: YEARLY, timeZone: "UTC" } as unknown as Job["schedule"],
    target: { type: "noop" } as unknown as Job["target"],
    status: "ACTIVE",
    tags: ["bench"],
    owner: `owner-${i % 100}`,
    version: 1,
    partition: partitionOf(id, partitions),
    nextRunMs: Date.UTC(new Date(now).getUTCFullYear() + 1, 0, 1),
    createdMs: now,
    updatedMs: now,
  };
}

/**
 * `npm run bench -- import --schedules N`: N schedules streamed through
 * ImportJobs into one API process on fresh local backends, beside the
 * store's ceiling for the same items measured in the same run: raw
 * BatchWriteItem of jobs laid out as the store lays them (the same indexes)
 * into a scratch table set. Reports the import's rate and its ratio to that
 * ceiling.
 */
export async function importBench(options: ImportOptions, log: (line: string) => void) {
  const backends = await startBackends({ warm: true, log });
  let proc: ChronoringProcess | undefined;
  try {
    const dynamo = new DynamoDBClient({
      endpoint: backends.dynamodb,
      region: backends.region,
      credentials: CREDENTIALS,
    });
    const scratch = tableNames(SCRATCH);
    await ensureTables(dynamo, scratch, options.partitions);
    const sample = Math.min(options.ceilingItems, options.schedules);
    /** Raw BatchWriteItem of `sample` fresh job items into the scratch table: items/s. */
    const measureCeiling = async (offset: number) => {
      const now = Date.now();
      const items = Array.from({ length: sample }, (_, i) =>
        jobToItem(storedJob(offset + i, now, options.partitions)),
      );
      const c0 = performance.now();
      const left = await batchPut(dynamo, scratch.jobs, items, {
        concurrency: options.ceilingConcurrency,
        attempts: 20,
      });
      if (left.length > 0) throw new Error(`ceiling: ${left.length} items never written`);
      const rate = sample / ((performance.now() - c0) / 1000);
      log(`BatchWriteItem ceiling: ${round(rate)} items/s (${sample} items)`);
      return rate;
    };
    const before = await measureCeiling(0);

    const logDir = backends.logDir;
    const apiPort = await freePort();
    proc = await startChronoring({
      name: "api",
      logDir,
      env: {
        CHRONORING_DYNAMODB_ENDPOINT: backends.dynamodb,
        CHRONORING_SQS_ENDPOINT: backends.sqs,
        CHRONORING_ETCD_ENDPOINTS: "",
        CHRONORING_TABLE_PREFIX: PREFIX,
        CHRONORING_QUEUE_PREFIX: PREFIX,
        CHRONORING_PARTITIONS: String(options.partitions),
        CHRONORING_ROLES: "api",
        CHRONORING_API_PORT: String(apiPort),
        CHRONORING_LOG_LEVEL: "warn",
        CHRONORING_AUTH_MODE: "off",
        // Unlimited: the bench measures the import, not the quota.
        CHRONORING_TENANT_MAX_ACTIVE_SCHEDULES: "0",
      },
    });
    const client = createClient(JobService, createGrpcTransport({ baseUrl: proc.apiUrl! }));
    let sent = 0;
    async function* stream() {
      while (sent < options.schedules) {
        const n = Math.min(PER_MESSAGE, options.schedules - sent);
        yield { jobs: Array.from({ length: n }, (_, k) => request(sent + k)) };
        sent += n;
        if (sent % 100_000 < PER_MESSAGE) log(`sent ${sent}`);
      }
    }
    const t0 = performance.now();
    const res = await client.importJobs(stream(), { timeoutMs: 0 });
    const seconds = (performance.now() - t0) / 1000;
    const rate = options.schedules / seconds;
    log(`imported ${options.schedules} in ${round(seconds)} s`);
    // Measured again after: the machine is shared and its load moves; the
    // higher of the two is the ceiling the import is held to.
    const after = await measureCeiling(sample);
    const ceiling = Math.max(before, after);
    return {
      bench: "import",
      schedules: options.schedules,
      created: Number(res.counts?.created ?? 0n),
      refused: Number(res.counts?.refused ?? 0n),
      seconds: round(seconds),
      ratePerS: round(rate),
      ceilingPerS: round(ceiling),
      ceilingBeforePerS: round(before),
      ceilingAfterPerS: round(after),
      ratio: round(rate / ceiling, 2),
    };
  } finally {
    await proc?.process.stop();
    await backends.stop();
  }
}
