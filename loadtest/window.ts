import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from "@aws-sdk/client-dynamodb";
import { freePort, startBackends } from "../deploy/local/backends.js";
import {
  type ChronoringProcess,
  metricValue,
  startChronoring,
} from "../deploy/local/chronoring-process.js";
import { startMargin } from "../src/core/window-spread.js";
import { measureWriteCeiling } from "./ceiling.js";
import { bulkCreate, sendWakeHints } from "./fire.js";
import { round, summary } from "./stats.js";

export interface WindowOptions {
  jobs: number;
  windowS: number;
  workers: number;
  partitions: number;
}

const PREFIX = "bench-";
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/** What a burst's stored executions show. */
interface Burst {
  started: number[];
  planned: number[];
  /** Execution records beyond one per job. */
  duplicates: number;
  /** Jobs with a SUCCEEDED run. */
  succeeded: Set<string>;
}

/**
 * `npm run bench -- window --jobs N --window S`: the top of the minute with
 * and without a flexible window. N one-time noop jobs due at one instant
 * with an S-second window, fired by one scheduler process and worker
 * processes on fresh local backends; then the same burst without a window.
 * Reports the busiest second's starts ÷ the average over the window, whether
 * every run started inside its window, and the windowless burst's drain time
 * and rate against the store's ceiling measured in the same run. Everything
 * is read back from the stored executions.
 */
export async function windowBench(options: WindowOptions, log: (line: string) => void) {
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
    log(
      `store ceiling: ${round(ceiling)} conditional writes/s; load ${loadavg().map((l) => round(l))}`,
    );
    const common = {
      CHRONORING_DYNAMODB_ENDPOINT: backends.dynamodb,
      CHRONORING_SQS_ENDPOINT: backends.sqs,
      CHRONORING_ETCD_ENDPOINTS: backends.etcd,
      CHRONORING_TABLE_PREFIX: PREFIX,
      CHRONORING_QUEUE_PREFIX: PREFIX,
      CHRONORING_PARTITIONS: String(options.partitions),
      CHRONORING_LOG_LEVEL: "warn",
      CHRONORING_AUTH_MODE: "off",
    };
    procs.push(...(await startProcesses(common, options.workers)));
    const finished = async () => {
      const pages = await Promise.all(
        procs.map(async (p) => (p.metricsUrl ? (await fetch(p.metricsUrl)).text() : "")),
      );
      return pages.reduce((n, t) => n + metricValue(t, "chronoring_runs_finished_total"), 0);
    };

    const windowMs = options.windowS * 1000;
    const burst = async (withWindow: boolean, done: number) => {
      const t0 = Date.now() + 12_000 + options.jobs * 2;
      const times = new Array<number>(options.jobs).fill(t0);
      const jobs = await bulkCreate(
        dynamo,
        `${PREFIX}jobs`,
        times,
        { partitions: options.partitions },
        withWindow ? windowMs : undefined,
      );
      await sendWakeHints(backends.etcd, common, jobs);
      log(
        `${options.jobs} jobs due at +${t0 - Date.now()} ms ${withWindow ? `with a ${options.windowS} s window` : "without a window"}`,
      );
      const deadline = t0 + (withWindow ? windowMs : 0) + 120_000 + options.jobs * 20;
      while ((await finished()) < done + options.jobs && Date.now() < deadline) await sleep(500);
      await sleep(1000);
      return t0;
    };
    const t0 = await burst(true, 0);
    const t1 = await burst(false, options.jobs);
    const runs = await readRuns(dynamo, [t0, t1]);
    const windowed = runs.get(t0)!;
    const plain = runs.get(t1)!;

    const span = windowMs - startMargin(windowMs);
    const outside = windowed.started.filter((s) => s < t0 || s >= t0 + windowMs).length;
    const missed = (b: Burst) => options.jobs - b.succeeded.size;
    const drainMs = Math.max(...plain.started) - t1;
    const fireCeiling = ceiling / 3;
    return {
      bench: "window",
      jobs: options.jobs,
      window_s: options.windowS,
      workers: options.workers,
      load_average: loadavg().map((l) => round(l)),
      store_ceiling_writes_per_s: round(ceiling),
      with_window: {
        peak_to_average: round(peakToAverage(windowed.started, t0, span), 3),
        planned_peak_to_average: round(peakToAverage(windowed.planned, t0, span), 3),
        all_within_window: outside === 0 && missed(windowed) === 0,
        outside_window: outside,
        start_lateness_from_plan_ms: summary(
          windowed.started.map((s, i) => s - (windowed.planned[i] ?? s)),
        ),
        duplicates: windowed.duplicates,
        missed: missed(windowed),
      },
      without_window: {
        drain_s: round(drainMs / 1000, 2),
        starts_per_s: round(options.jobs / Math.max(drainMs / 1000, 0.001)),
        busiest_second: peakCount(plain.started, t1),
        start_lateness_ms: summary(plain.started.map((s) => s - t1)),
        // A fire is three item writes (claim, start, outcome): the fires the store could take.
        store_fire_ceiling_per_s: round(fireCeiling),
        rate_to_ceiling: round(options.jobs / Math.max(drainMs / 1000, 0.001) / fireCeiling, 2),
        duplicates: plain.duplicates,
        missed: missed(plain),
      },
    };
  } finally {
    await Promise.all(procs.map((p) => p.process.stop()));
    await backends.stop();
  }
}

/** One API + scheduler process and `workers` worker processes. */
async function startProcesses(
  common: Record<string, string>,
  workers: number,
): Promise<ChronoringProcess[]> {
  const logDir = mkdtempSync(join(tmpdir(), "chronoring-bench-"));
  const procs = [
    await startChronoring({
      name: "scheduler",
      logDir,
      env: {
        ...common,
        CHRONORING_ROLES: "api,scheduler",
        CHRONORING_API_PORT: String(await freePort()),
        CHRONORING_NODE_ID: "scheduler-1",
      },
    }),
  ];
  for (let i = 0; i < workers; i++) {
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
  return procs;
}

/** The stored executions of each burst (by its due instant). */
async function readRuns(client: DynamoDBClient, instants: number[]): Promise<Map<number, Burst>> {
  const bursts = new Map<number, Burst>(
    instants.map((t) => [t, { started: [], planned: [], duplicates: 0, succeeded: new Set() }]),
  );
  const perJob = new Map<string, number>();
  let key: ScanCommandOutput["LastEvaluatedKey"];
  do {
    const out: ScanCommandOutput = await client.send(
      new ScanCommand({ TableName: `${PREFIX}executions`, ExclusiveStartKey: key }),
    );
    for (const item of out.Items ?? []) {
      const burst = bursts.get(Number(item.sched_ms!.N));
      if (!burst) continue;
      const jobId = item.job_id!.S!;
      perJob.set(jobId, (perJob.get(jobId) ?? 0) + 1);
      if (perJob.get(jobId)! > 1) burst.duplicates++;
      if (item.started?.N) burst.started.push(Number(item.started.N));
      // Kept in step with `started`: the planned start, or the start itself without one.
      if (item.started?.N) burst.planned.push(Number(item.plan_ms?.N ?? item.started.N));
      if (item.st?.S === "SUCCEEDED") burst.succeeded.add(jobId);
    }
    key = out.LastEvaluatedKey;
  } while (key);
  return bursts;
}

/** The busiest second's starts ÷ the average per second over [from, from + span). */
function peakToAverage(times: number[], fromMs: number, spanMs: number): number {
  const seconds = Math.max(1, Math.ceil(spanMs / 1000));
  const counts = new Array<number>(seconds).fill(0);
  for (const t of times) {
    const i = Math.floor((t - fromMs) / 1000);
    if (i >= 0 && i < seconds) counts[i]!++;
  }
  return Math.max(...counts) / (times.length / seconds);
}

/** The most starts in any one second from `fromMs` on. */
function peakCount(times: number[], fromMs: number): number {
  const counts = new Map<number, number>();
  for (const t of times) {
    const i = Math.floor((t - fromMs) / 1000);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}
