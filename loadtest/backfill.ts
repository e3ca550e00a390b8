import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import type { Backends } from "../deploy/local/backends.js";
import { BackfillMode, BackfillService } from "../gen/chronoring/v1/backfill_service_pb.js";
import { JobService } from "../gen/chronoring/v1/job_service_pb.js";
import { startApp } from "../src/app.js";
import { loadConfig } from "../src/config/config.js";
import { summary } from "./stats.js";

export interface BackfillBenchOptions {
  /** Live jobs firing every second. */
  live: number;
  /** Seconds of each phase. */
  durationS: number;
  /** Past times the backfill runs. */
  times: number;
  maxConcurrent: number;
  /** How long each run (live or backfilled) takes, ms. */
  runMs: number;
  /** CHRONORING_BACKFILL_WORKER_SHARE: 100 lets max_concurrent alone bound the runs out. */
  workerShare: number;
  log: (line: string) => void;
}

/** Start lateness (started − scheduled, ms) of the live jobs' runs scheduled in [fromMs, toMs). */
async function lateness(
  jobs: Client<typeof JobService>,
  ids: string[],
  fromMs: number,
  toMs: number,
) {
  const out: number[] = [];
  for (const jobId of ids) {
    const { executions } = await jobs.listExecutions({ jobId, pageSize: 500 });
    for (const e of executions) {
      const at = timestampMs(e.scheduledTime!);
      if (at >= fromMs && at < toMs && e.startTime && !e.backfillId) {
        out.push(timestampMs(e.startTime) - at);
      }
    }
  }
  return out;
}

/**
 * `npm run bench -- backfill`: what a backfill costs live runs. One process
 * (api, scheduler, worker at the default concurrency of 16) on the backends;
 * `live` jobs fire every second (MEDIUM, noop of `runMs`). Phase 1 measures
 * their start lateness alone; phase 2 the same while a backfill of `times`
 * past times of another such job runs at `maxConcurrent` (on the LOW
 * queue, within CHRONORING_BACKFILL_WORKER_SHARE of the worker's slots),
 * and how many backfilled runs ended meanwhile; then cancels it.
 */
export async function backfillBench(backends: Backends, o: BackfillBenchOptions) {
  const prefix = `bf${randomBytes(3).toString("hex")}-`;
  const config = loadConfig({
    CHRONORING_DYNAMODB_ENDPOINT: backends.dynamodb,
    CHRONORING_SQS_ENDPOINT: backends.sqs,
    CHRONORING_ETCD_ENDPOINTS: backends.etcd,
    CHRONORING_ETCD_PREFIX: `/${prefix}/`,
    CHRONORING_AWS_REGION: backends.region,
    CHRONORING_TABLE_PREFIX: prefix,
    CHRONORING_QUEUE_PREFIX: prefix,
    CHRONORING_API_PORT: "0",
    CHRONORING_PARTITIONS: "32",
    CHRONORING_AUTH_MODE: "off",
    CHRONORING_LOG_LEVEL: "warn",
    CHRONORING_BACKFILL_WORKER_SHARE: String(o.workerShare),
  });
  const app = await startApp(config, { logger: pino({ level: "warn" }) });
  try {
    const transport = createGrpcTransport({ baseUrl: app.apiUrl! });
    const jobs = createClient(JobService, transport);
    const backfills = createClient(BackfillService, transport);
    const spec = (name: string) => ({
      name,
      owner: "bench",
      schedule: { kind: { case: "cron" as const, value: "* * * * * *" } },
      target: { kind: { case: "noop" as const, value: { sleep: durationFromMs(o.runMs) } } },
    });
    const ids: string[] = [];
    for (let i = 0; i < o.live; i++) ids.push((await jobs.createJob(spec(`live ${i}`))).job!.id);
    const { job } = await jobs.createJob(spec("backfilled"));
    const createdMs = timestampMs(job!.createTime!);
    o.log(`${o.live} live jobs; warming up 10 s`);
    await sleep(10_000);

    const aFrom = Date.now();
    await sleep(o.durationS * 1000);
    const aTo = Date.now();
    await sleep(2000);
    // Read now: ListExecutions pages are newest first.
    const alone = await lateness(jobs, ids, aFrom, aTo);
    o.log("phase 1 (alone) over; starting the backfill");
    const { backfill } = await backfills.backfillJob({
      jobId: job!.id,
      from: timestampFromMs(createdMs - (o.times + 1) * 1000),
      to: timestampFromMs(createdMs - 1000),
      mode: BackfillMode.MISSING,
      maxConcurrent: o.maxConcurrent,
    });
    const bFrom = Date.now();
    await sleep(o.durationS * 1000);
    const bTo = Date.now();
    const during = (await backfills.getBackfill({ id: backfill!.id })).backfill!;
    await backfills.cancelBackfill({ id: backfill!.id }).catch(() => undefined);
    await sleep(2000);
    const withBackfill = await lateness(jobs, ids, bFrom, bTo);
    o.log(`phase 2 over: ${during.counts?.succeeded} backfilled runs ended in it`);
    return {
      bench: "backfill",
      live_jobs: o.live,
      run_ms: o.runMs,
      worker_concurrency: config.worker.concurrency,
      backfill_times: o.times,
      backfill_max_concurrent: o.maxConcurrent,
      backfill_worker_share_percent: config.backfill.workerShare,
      live_runs_alone: alone.length,
      start_lateness_alone_ms: summary(alone),
      live_runs_with_backfill: withBackfill.length,
      start_lateness_with_backfill_ms: summary(withBackfill),
      backfill_runs_in_phase: during.counts?.succeeded ?? 0,
      backfill_runs_per_s:
        Math.round(((during.counts?.succeeded ?? 0) / ((bTo - bFrom) / 1000)) * 10) / 10,
      load_avg_1m: Math.round(loadavg()[0]! * 10) / 10,
    };
  } finally {
    await app.close();
  }
}
