import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from "@aws-sdk/client-dynamodb";
import pino from "pino";
import { freePort, startBackends } from "../deploy/local/backends.js";
import {
  type ChronoringProcess,
  metricValue,
  startChronoring,
} from "../deploy/local/chronoring-process.js";
import { jobToItem } from "../src/adapters/dynamodb/job-item.js";
import { createEtcdCoordinator } from "../src/adapters/etcd/coordinator.js";
import { createWakeHints } from "../src/cluster/wake-hints.js";
import { loadConfig } from "../src/config/config.js";
import { DEFAULT_TENANT } from "../src/core/caller.js";
import { systemClock } from "../src/core/clock.js";
import { newJobId } from "../src/core/ids.js";
import { partitionOf } from "../src/core/partition.js";
import { measureWriteCeiling } from "./ceiling.js";
import { workerBreakdown } from "./fire-breakdown.js";
import { costPerFire } from "./fire-cost.js";
import { cpuSeconds } from "./harness/proc-sampler.js";
import { round, summary } from "./stats.js";

export interface FireOptions {
  jobs: number;
  spread: boolean;
  workers: number;
  partitions: number;
  /** Every job carries pause_after_failures 3 and remaining_runs 1. */
  policies?: boolean;
  /** Every job calls a refused port on loopback: every run FAILED (no retry). */
  failing?: boolean;
}

/** What `--failing` jobs call: nothing listens there, the connection is refused at once. */
const REFUSED_URL = "http://127.0.0.1:9/";

const PREFIX = "bench-";
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * `npm run bench -- fire --jobs N [--spread] [--policies] [--failing]`: N
 * one-time noop jobs due at one instant (or spread at half the store's
 * ceiling rate), fired by one scheduler process and worker processes on
 * fresh local backends; with `--policies` they carry a failure policy and a
 * run limit, with `--failing` each run fails. Everything reported is read
 * back from the stored executions and the processes' metrics.
 */
export async function fireBench(options: FireOptions, log: (line: string) => void) {
  const backends = await startBackends({ warm: true, log });
  const procs: ChronoringProcess[] = [];
  try {
    const dynamo = new DynamoDBClient({
      endpoint: backends.dynamodb,
      region: backends.region,
      credentials: CREDENTIALS,
    });
    const ceiling = await measureWriteCeiling(dynamo, {
      table: "bench-ceiling",
      writes: 3000,
      concurrency: 32,
    });
    log(`store ceiling: ${round(ceiling)} conditional writes/s`);

    const logDir = mkdtempSync(join(tmpdir(), "chronoring-bench-"));
    const common = {
      CHRONORING_DYNAMODB_ENDPOINT: backends.dynamodb,
      CHRONORING_SQS_ENDPOINT: backends.sqs,
      CHRONORING_ETCD_ENDPOINTS: backends.etcd,
      CHRONORING_TABLE_PREFIX: PREFIX,
      CHRONORING_QUEUE_PREFIX: PREFIX,
      CHRONORING_PARTITIONS: String(options.partitions),
      CHRONORING_LOG_LEVEL: "warn",
      // The bench measures firing, not token checks; its clients call without tokens.
      CHRONORING_AUTH_MODE: "off",
      // `--failing` jobs call a refused port on loopback.
      ...(options.failing ? { CHRONORING_TARGET_ALLOW: "127.0.0.0/8" } : {}),
    };
    const apiPort = await freePort();
    procs.push(
      await startChronoring({
        name: "scheduler",
        logDir,
        env: {
          ...common,
          CHRONORING_ROLES: "api,scheduler",
          CHRONORING_API_PORT: String(apiPort),
          CHRONORING_NODE_ID: "scheduler-1",
        },
      }),
    );
    for (let i = 0; i < options.workers; i++) {
      procs.push(
        await startChronoring({
          name: `worker-${i + 1}`,
          logDir,
          env: {
            ...common,
            CHRONORING_ROLES: "worker",
            CHRONORING_WORKER_ID: `worker-${i + 1}`,
            CHRONORING_METRICS_PORT: String(await freePort()),
            CHRONORING_WORKER_CONCURRENCY: "32",
          },
        }),
      );
    }
    log(`chronoring processes up (logs in ${logDir})`);
    // Jobs go straight into the table in bulk (BatchWriteItem, the same item
    // layout the API writes), so that creating them never overlaps the firing
    // window; the API's own create path is covered by the tests. Then the
    // wake hints go out as an API node would send them (src/cluster/wake-hints.ts):
    // the scheduler claims each run up to its look-ahead (5 s) early.
    const lead = 12_000 + options.jobs * 2;
    const t0 = Date.now() + lead;
    const rate = ceiling / 3 / 2;
    const times = Array.from({ length: options.jobs }, (_, i) =>
      options.spread ? Math.round(t0 + (i * 1000) / rate) : t0,
    );
    const createStart = Date.now();
    const jobs = await bulkCreate(dynamo, `${PREFIX}jobs`, times, options);
    await sendWakeHints(backends.etcd, common, jobs);
    const created = Date.now();
    log(
      `created ${options.jobs} jobs in ${created - createStart} ms; first due in ${t0 - created} ms`,
    );
    if (created > t0 - 8000) log("warning: creation ran into the firing window");

    const scrape = async () =>
      Promise.all(procs.map(async (p) => (p.metricsUrl ? (await fetch(p.metricsUrl)).text() : "")));
    const sum = (pages: string[], name: string) =>
      pages.reduce((n, t) => n + metricValue(t, name), 0);
    // Before the first claims (look-ahead 5 s), after the bulk creation.
    await sleep(Math.max(0, t0 - Date.now() - 7000));
    const pagesBefore = await scrape();
    const writesBefore = sum(pagesBefore, "chronoring_store_item_writes_total");
    // CPU seconds of each process over the window: is a process CPU-bound?
    const backendNames = Object.keys(backends.pids) as Array<keyof typeof backends.pids>;
    const cpuOf = (pages: string[]) => ({
      ...Object.fromEntries(
        procs.map((p, i) => [
          p.process.name,
          metricValue(pages[i] ?? "", "process_cpu_seconds_total"),
        ]),
      ),
      ...Object.fromEntries(backendNames.map((b) => [b, cpuSeconds(backends.pids[b])])),
    });
    const cpuBefore = cpuOf(pagesBefore);
    const windowStart = Date.now();

    let rssMax = 0;
    // From the last run's time: a spread over a low ceiling lasts minutes.
    const deadline = Math.max(Date.now(), times[times.length - 1]!) + 120_000 + options.jobs * 20;
    for (;;) {
      const pages = await scrape();
      rssMax = Math.max(rssMax, sum(pages, "process_resident_memory_bytes"));
      const finished = sum(pages, "chronoring_runs_finished_total");
      if (finished >= options.jobs && Date.now() > times[times.length - 1]!) break;
      if (Date.now() > deadline) {
        log(`timed out with ${finished} of ${options.jobs} runs finished`);
        break;
      }
      await sleep(500);
    }
    await sleep(1000);
    const pagesAfter = await scrape();
    const writesAfter = sum(pagesAfter, "chronoring_store_item_writes_total");
    const cpuAfter = cpuOf(pagesAfter);
    const windowS = (Date.now() - windowStart) / 1000;
    const cpuShare = Object.fromEntries(
      Object.entries(cpuAfter).map(([name, s]) => [
        name,
        round((s - (cpuBefore[name] ?? 0)) / windowS, 2),
      ]),
    );
    const breakdown = workerBreakdown(
      pagesAfter.filter((_, i) => procs[i]!.process.name.startsWith("worker")),
    );

    // Read back every stored execution.
    const perJob = new Map<string, number>();
    const sentLate: number[] = [];
    const startLate: number[] = [];
    let succeeded = 0;
    let failed = 0;
    let lastEnd = 0;
    let key: ScanCommandOutput["LastEvaluatedKey"];
    do {
      const out: ScanCommandOutput = await dynamo.send(
        new ScanCommand({ TableName: `${PREFIX}executions`, ExclusiveStartKey: key }),
      );
      for (const item of out.Items ?? []) {
        const jobId = item.job_id!.S!;
        perJob.set(jobId, (perJob.get(jobId) ?? 0) + 1);
        const scheduled = Number(item.sched_ms!.N);
        if (item.queued?.N) sentLate.push(Number(item.queued.N) - scheduled);
        if (item.started?.N) startLate.push(Number(item.started.N) - scheduled);
        if (item.st?.S === "SUCCEEDED") succeeded++;
        if (item.st?.S === "FAILED") failed++;
        lastEnd = Math.max(lastEnd, Number(item.ended?.N ?? 0));
      }
      key = out.LastEvaluatedKey;
    } while (key);
    const duplicates = [...perJob.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
    // A `--failing` run is done when it FAILED.
    const done = succeeded + (options.failing ? failed : 0);
    const missed = options.jobs - Math.min(options.jobs, done);
    const window = (lastEnd - times[0]!) / 1000;
    const firesPerS = options.jobs / Math.max(window, 0.001);
    const writesPerFire = (writesAfter - writesBefore) / options.jobs;
    return {
      bench: "fire",
      jobs: options.jobs,
      spread: options.spread,
      workers: options.workers,
      policies: options.policies ?? false,
      failing: options.failing ?? false,
      fires_per_s: round(firesPerS),
      lateness_ms: summary(sentLate),
      start_lateness_ms: summary(startLate),
      duplicates,
      missed,
      rss_mb: round(rssMax / 1024 / 1024),
      store_writes_per_fire: round(writesPerFire, 2),
      store_ceiling_writes_per_s: round(ceiling),
      ceiling_ratio: round(firesPerS / (ceiling / Math.max(writesPerFire, 0.001)), 2),
      offered_fires_per_s: options.spread ? round(rate) : null,
      ...costPerFire(pagesBefore, pagesAfter, options.jobs),
      ...breakdown,
      /** Cores each process used over the window (CPU seconds ÷ wall seconds). */
      cpu_cores: cpuShare,
    };
  } finally {
    await Promise.all(procs.map((p) => p.process.stop()));
    await backends.stop();
  }
}

/** What the API does after storing the jobs: a wake hint where a poll would come too late. */
export async function sendWakeHints(
  etcd: string,
  env: Record<string, string>,
  jobs: Array<{ partition: number; nextRunMs: number }>,
) {
  const config = loadConfig({ ...env, CHRONORING_ROLES: "api" });
  const coordinator = createEtcdCoordinator({ endpoints: [etcd], prefix: config.etcd.prefix });
  const sent: Promise<void>[] = [];
  const hints = createWakeHints({
    clock: systemClock,
    options: config.scheduler,
    publish: (partition, nextRunMs) => {
      const p = coordinator.hintWake(partition, nextRunMs);
      sent.push(p);
      return p;
    },
    logger: pino({ enabled: false }),
  });
  for (const job of jobs) hints.scheduled(job.partition, job.nextRunMs);
  await Promise.all(sent);
  await coordinator.close();
}

/**
 * Writes one-time noop jobs due at `times` in batches of 25, as the API would
 * store them; `windowMs` gives each a flexible window.
 */
export async function bulkCreate(
  client: DynamoDBClient,
  table: string,
  times: number[],
  options: Pick<FireOptions, "partitions" | "policies" | "failing">,
  windowMs?: number,
): Promise<Array<{ partition: number; nextRunMs: number }>> {
  const { partitions } = options;
  const target = options.failing
    ? { type: "http" as const, method: "GET", url: REFUSED_URL, headers: {}, timeoutMs: 5000 }
    : { type: "noop" as const, sleepMs: 0 };
  const policies = options.policies
    ? { pauseAfterFailures: 3, remainingRuns: 1, grantedRuns: 1 }
    : {};
  const now = Date.now();
  const items = times.map((at, i) => {
    const id = newJobId(now);
    return jobToItem({
      id,
      tenant: DEFAULT_TENANT,
      name: `bench ${i}`,
      schedule: { kind: "once", at, ...(windowMs ? { flexibleWindowMs: windowMs } : {}) },
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
  return items.map((item) => ({
    partition: Number(item.part!.N),
    nextRunMs: Number(item.next_run!.N),
  }));
}
