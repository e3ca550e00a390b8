import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import pino from "pino";
import { jobToItem } from "../../src/adapters/dynamodb/job-item.js";
import { createEtcdCoordinator } from "../../src/adapters/etcd/coordinator.js";
import { createWakeHints } from "../../src/cluster/wake-hints.js";
import { loadConfig } from "../../src/config/config.js";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { systemClock } from "../../src/core/clock.js";
import { newJobId } from "../../src/core/ids.js";
import { partitionOf } from "../../src/core/partition.js";
import type { Priority } from "../../src/core/priority.js";
import { type RetrySchedule, retry } from "../../src/core/retry.js";

const HINT_RETRIES: RetrySchedule = { attempts: 5, baseMs: 500, maxMs: 4_000 };

/** One bulk-created job: when its one run is due, and its priority (absent: MEDIUM). */
export interface BulkJob {
  at: number;
  priority?: Priority;
}

/** How every bulk-created job is written. */
export interface BulkOptions {
  partitions: number;
  /** Every job carries pause_after_failures 3 and remaining_runs 1. */
  policies?: boolean;
  /** Every job calls a refused port on loopback: every run FAILED (no retry). */
  failing?: boolean;
  /** Every job's run has a flexible window this long. */
  windowMs?: number;
  /** Every job calls this URL (POST), unless `failing`; noop without it. */
  url?: string;
  /**
   * Every job recurs at this interval from its run (its next run after the bench's), not
   * once: it stays ACTIVE, as a user's hourly job does.
   */
  everyMs?: number;
  /** With `everyMs`: each job's schedule ends after this many runs (the job is FINISHED then). */
  rounds?: number;
}

/** What `failing` jobs call: nothing listens there, the connection is refused at once. */
const REFUSED_URL = "http://127.0.0.1:9/";

/** A job as written: its id, partition and run. */
export interface WrittenJob {
  id: string;
  partition: number;
  nextRunMs: number;
  priority: Priority;
}

/**
 * Writes one-time jobs (or recurring ones: `everyMs`; noop, calling `url`, or failing ones) in batches of 25 (8 batches
 * at a time), as the API would store them (the same item layout), so that
 * creating many jobs never overlaps a bench's firing window.
 */
export async function bulkCreate(
  client: DynamoDBClient,
  table: string,
  jobs: BulkJob[],
  options: BulkOptions,
): Promise<WrittenJob[]> {
  const { partitions, windowMs } = options;
  const target = options.failing
    ? { type: "http" as const, method: "GET", url: REFUSED_URL, headers: {}, timeoutMs: 5000 }
    : options.url
      ? { type: "http" as const, method: "POST", url: options.url, headers: {}, timeoutMs: 5000 }
      : { type: "noop" as const, sleepMs: 0 };
  const policies = options.policies
    ? { pauseAfterFailures: 3, remainingRuns: 1, grantedRuns: 1 }
    : {};
  const now = Date.now();
  const items = jobs.map(({ at, priority }, i) => {
    const id = newJobId(now);
    return jobToItem({
      id,
      tenant: DEFAULT_TENANT,
      name: `bench ${i}`,
      schedule: {
        ...(options.everyMs
          ? {
              kind: "interval" as const,
              source: `${options.everyMs / 1000}s`,
              periodMs: options.everyMs,
              anchorMs: at,
              startMs: at,
              ...(options.rounds ? { endMs: at + (options.rounds - 1) * options.everyMs } : {}),
            }
          : { kind: "once" as const, at }),
        ...(windowMs ? { flexibleWindowMs: windowMs } : {}),
      },
      target,
      status: "ACTIVE",
      tags: [],
      owner: "bench",
      version: 1,
      partition: partitionOf(id, partitions),
      nextRunMs: at,
      createdMs: now,
      updatedMs: now,
      ...policies,
      ...(priority ? { priority } : {}),
    });
  });
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < items.length) {
        let batch = items.slice(next, next + 25).map((Item) => ({ PutRequest: { Item } }));
        next += 25;
        while (batch.length) {
          const out: BatchWriteItemCommandOutput = await client.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: batch } }),
          );
          batch = (out.UnprocessedItems?.[table] ?? []) as typeof batch;
        }
      }
    }),
  );
  return items.map((item, i) => ({
    id: item.id!.S!,
    partition: Number(item.part!.N),
    nextRunMs: Number(item.next_run!.N),
    priority: jobs[i]!.priority ?? "MEDIUM",
  }));
}

/** What the API does after storing the jobs: a wake hint where a poll would come too late. */
export async function sendWakeHints(
  etcd: string,
  env: Record<string, string>,
  jobs: Array<{ partition: number; nextRunMs: number }>,
): Promise<void> {
  const config = loadConfig({ ...env, CHRONORING_ROLES: "api" });
  const coordinator = createEtcdCoordinator({ endpoints: [etcd], prefix: config.etcd.prefix });
  const sent: Promise<void>[] = [];
  const hints = createWakeHints({
    clock: systemClock,
    options: config.scheduler,
    publish: (partition, nextRunMs) => {
      // etcd on a loaded machine times out now and then: a hint lost would cost the bench its run.
      const p = retry(HINT_RETRIES, () => coordinator.hintWake(partition, nextRunMs), systemClock);
      sent.push(p);
      return p;
    },
    logger: pino({ enabled: false }),
  });
  for (const job of jobs) hints.scheduled(job.partition, job.nextRunMs);
  await Promise.all(sent);
  await coordinator.close();
}
