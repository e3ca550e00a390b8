import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from "@aws-sdk/client-dynamodb";
import { freePort, startBackends } from "../deploy/local/backends.js";
import {
  type ChronoringProcess,
  metricValue,
  startChronoring,
} from "../deploy/local/chronoring-process.js";
import { FIELDS } from "../src/config/settings.js";
import { parseExecutionId } from "../src/core/execution.js";
import { measureWriteCeiling } from "./ceiling.js";
import { workerBreakdown } from "./fire-breakdown.js";
import { costPerFire } from "./fire-cost.js";
import { bulkCreate, sendWakeHints } from "./harness/bulk-jobs.js";
import { startEffectServer } from "./harness/effect-server.js";
import { cpuSeconds } from "./harness/proc-sampler.js";
import { WARMUP_LEAD_MS, warmupTimes } from "./harness/warmup.js";
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
  /**
   * Every job is hourly (an interval from its run), not one-time: it stays ACTIVE, so its
   * run's recovery check settles it with a write, as for any job that fires less often than
   * the start timeout.
   */
  recurring?: boolean;
  /**
   * Every job recurs at this interval (ms) and fires `rounds` times, the first runs spread
   * over one interval: the steady state of jobs that fire less often than the start timeout
   * (their records left by the sweep and replaced by the next claim).
   */
  everyMs?: number;
  rounds?: number;
  /**
   * Runs before the first measured one. Without `everyMs`, a lead-in: runs of
   * the same kind at the same rate, due one after the other up to the first
   * measured run, so that the measured runs are the middle of a steady
   * stream, not its first seconds; their cost counts with the measured
   * runs' (each is a fire like them), nothing else of theirs does. With
   * `everyMs` (whose own rounds are the steady state), a warm-up
   * (`harness/warmup.ts`) left out of every figure.
   */
  warmup?: number;
}

/** `--recurring` jobs' interval: one run in the bench, the next an hour on. */
const RECURRING_EVERY_MS = 3_600_000;

const PREFIX = "bench-";
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * `npm run bench -- fire --jobs N [--spread] [--policies] [--failing] [--recurring] [--every S --rounds K]`: N
 * one-time (with `--recurring`, hourly; with `--every`, every S seconds, K runs each, the first
 * spread over S) jobs calling the bench's HTTP endpoint (which records when each
 * handler really ran) due at one instant (or spread at half the store's
 * ceiling rate), fired by one scheduler process and worker processes on
 * fresh local backends; with `--policies` they carry a failure policy and a
 * run limit, with `--failing` each run fails. Everything reported is read
 * back from the stored executions and the processes' metrics.
 */
export async function fireBench(options: FireOptions, log: (line: string) => void) {
  const backends = await startBackends({ warm: true, log });
  const procs: ChronoringProcess[] = [];
  // Answers at once; `--failing` jobs call a refused port instead.
  const effect = options.failing ? undefined : await startEffectServer({ callMs: 0 });
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
    // Every other setting is the default a user gets (README's settings table).
    const common = {
      CHRONORING_DYNAMODB_ENDPOINT: backends.dynamodb,
      CHRONORING_SQS_ENDPOINT: backends.sqs,
      CHRONORING_ETCD_ENDPOINTS: backends.etcd,
      CHRONORING_TABLE_PREFIX: PREFIX,
      CHRONORING_QUEUE_PREFIX: PREFIX,
      CHRONORING_PARTITIONS: String(options.partitions),
      CHRONORING_LOG_LEVEL: "warn",
      CHRONORING_AUTH_MODE: "off",
      // The jobs call the bench's endpoint (or, `--failing`, a refused port) on loopback.
      CHRONORING_TARGET_ALLOW: "127.0.0.0/8",
    };
    const changed = settingsChanged(options, new Set([...Object.keys(common), ...BENCH_OWN]));
    for (const [name, why] of Object.entries(changed)) log(`setting ${name}: ${why}`);
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
    const warmup = options.warmup ?? 0;
    const { everyMs } = options;
    const rounds = everyMs ? (options.rounds ?? 1) : 1;
    const rate = everyMs ? (options.jobs * 1000) / everyMs : ceiling / 3 / 2;
    /** The lead-in's runs (see `FireOptions.warmup`), and how long before the first measured run it begins. */
    const leadIn = everyMs ? 0 : warmup;
    const leadInMs = Math.ceil((leadIn * 1000) / rate);
    /** How long before the first measured run the runs before it begin. */
    const beforeMs = everyMs && warmup ? WARMUP_LEAD_MS : leadInMs;
    const lead = 12_000 + (options.jobs + warmup) * 2 + beforeMs;
    const t0 = Date.now() + lead;
    if (everyMs && rate > ceiling / 3 / 2) {
      log(`warning: ${round(rate)} fires/s is more than half the store's ceiling`);
    }
    const times = Array.from({ length: options.jobs }, (_, i) =>
      options.spread || everyMs ? Math.round(t0 + (i * 1000) / rate) : t0,
    );
    /** Every run the jobs fire, and the last one's time. */
    const expected = options.jobs * rounds;
    const lastRunMs = times[times.length - 1]! + (rounds - 1) * (everyMs ?? 0);
    const createStart = Date.now();
    /** The measured jobs' kind; the lead-in's too (it has no `everyMs`). */
    const kind = {
      ...options,
      ...(effect ? { url: effect.url } : {}),
      ...(everyMs ? { everyMs, rounds } : options.recurring ? { everyMs: RECURRING_EVERY_MS } : {}),
    };
    const jobs = await bulkCreate(
      dynamo,
      `${PREFIX}jobs`,
      times.map((at) => ({ at })),
      kind,
    );
    const warm = leadIn
      ? await bulkCreate(
          dynamo,
          `${PREFIX}jobs`,
          Array.from({ length: leadIn }, (_, i) => ({
            at: Math.round(t0 - ((leadIn - i) * 1000) / rate),
          })),
          // Calling the same endpoint (the handler's path warm too): only the
          // measured runs' calls count in its figures.
          kind,
        )
      : await bulkCreate(dynamo, `${PREFIX}jobs`, warmupTimes(t0, warmup), {
          partitions: options.partitions,
          ...(effect ? { url: effect.url } : {}),
        });
    /** The measured jobs: the lead-in's or warm-up's runs count in no lateness, dup or missed figure. */
    const measured = new Set(jobs.map((j) => j.id));
    await sendWakeHints(backends.etcd, common, [...warm, ...jobs]);
    const created = Date.now();
    log(
      `created ${options.jobs} jobs in ${created - createStart} ms; first due in ${t0 - created} ms`,
    );
    if (created > t0 - 8000 - beforeMs) {
      log("warning: creation ran into the firing window");
    }

    const scrape = async () =>
      Promise.all(procs.map(async (p) => (p.metricsUrl ? (await fetch(p.metricsUrl)).text() : "")));
    const sum = (pages: string[], name: string) =>
      pages.reduce((n, t) => n + metricValue(t, name), 0);
    // Before the first claims (look-ahead 5 s), after the bulk creation: the
    // lead-in's first, whose runs are fires of the cost counted from here.
    await sleep(Math.max(0, t0 - leadInMs - Date.now() - 7000));
    const pagesBefore = await scrape();
    const costFires = expected + leadIn;
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

    // The workers' phases are the measured runs', counted from their first.
    await sleep(Math.max(0, t0 - Date.now()));
    const pagesAtFirst = await scrape();
    let rssMax = 0;
    // From the last run's time: a spread over a low ceiling lasts minutes.
    const deadline = Math.max(Date.now(), lastRunMs) + 120_000 + options.jobs * 20;
    for (;;) {
      const pages = await scrape();
      rssMax = Math.max(rssMax, sum(pages, "process_resident_memory_bytes"));
      const finished = sum(pages, "chronoring_runs_finished_total");
      if (finished >= expected + warmup && Date.now() > lastRunMs) break;
      if (Date.now() > deadline) {
        log(`timed out with ${finished} of ${expected} runs finished`);
        break;
      }
      await sleep(500);
    }
    await sleep(1000);
    const pagesAfter = await scrape();
    // A run's cost does not end with it: the recovery sweep reads whether it
    // started once its claim's deadline passes (start timeout after its
    // time). The cost is counted until every run's check is done.
    const startTimeoutMs = Number(FIELDS.find((f) => f.key === "start-timeout-ms")!.default);
    const checkedBy = lastRunMs + startTimeoutMs + CHECK_MARGIN_MS;
    log(`counting the recovery checks' cost: ${round((checkedBy - Date.now()) / 1000)} s more`);
    await sleep(Math.max(0, checkedBy - Date.now()));
    const pagesCost = await scrape();
    const writesAfter = sum(pagesAfter, "chronoring_store_item_writes_total");
    const cpuAfter = cpuOf(pagesAfter);
    const windowS = (Date.now() - windowStart) / 1000;
    const cpuShare = Object.fromEntries(
      Object.entries(cpuAfter).map(([name, s]) => [
        name,
        round((s - (cpuBefore[name] ?? 0)) / windowS, 2),
      ]),
    );
    const onWorkers = (pages: string[]) =>
      pages.filter((_, i) => procs[i]!.process.name.startsWith("worker"));
    // The measured runs only: the warm-up's and lead-in's are counted in the pages before.
    const breakdown = workerBreakdown(onWorkers(pagesAfter), onWorkers(pagesAtFirst));

    // Read back every stored execution.
    const perJob = new Map<string, number>();
    const perRun = new Map<string, number>();
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
        if (!measured.has(jobId)) continue;
        perJob.set(jobId, (perJob.get(jobId) ?? 0) + 1);
        const scheduled = Number(item.sched_ms!.N);
        perRun.set(`${jobId}:${scheduled}`, (perRun.get(`${jobId}:${scheduled}`) ?? 0) + 1);
        if (item.queued?.N) sentLate.push(Number(item.queued.N) - scheduled);
        if (item.started?.N) startLate.push(Number(item.started.N) - scheduled);
        if (item.st?.S === "SUCCEEDED") succeeded++;
        if (item.st?.S === "FAILED") failed++;
        lastEnd = Math.max(lastEnd, Number(item.ended?.N ?? 0));
      }
      key = out.LastEvaluatedKey;
    } while (key);
    // A run recorded twice, or a job that ran more than its rounds.
    const duplicates =
      [...perRun.values()].reduce((n, c) => n + Math.max(0, c - 1), 0) +
      [...perJob.values()].reduce((n, c) => n + Math.max(0, c - rounds), 0);
    // When each handler really ran: its first call's arrival (`job:scheduledMs:attempt`).
    const handlerLate = [...(effect?.firstCalls ?? [])]
      .map(([id, at]) => ({ run: parseExecutionId(id)!, at }))
      .filter(({ run }) => measured.has(run.jobId))
      .map(({ run, at }) => at - run.scheduledMs);
    const sideEffects = [...(effect?.effects.values() ?? [])];
    // A `--failing` run is done when it FAILED.
    const done = succeeded + (options.failing ? failed : 0);
    const missed = expected - Math.min(expected, done);
    const window = (lastEnd - times[0]!) / 1000;
    const firesPerS = expected / Math.max(window, 0.001);
    const writesPerFire = (writesAfter - writesBefore) / costFires;
    return {
      bench: "fire",
      jobs: options.jobs,
      spread: options.spread,
      workers: options.workers,
      policies: options.policies ?? false,
      failing: options.failing ?? false,
      recurring: options.recurring ?? false,
      every_s: everyMs ? everyMs / 1000 : null,
      rounds,
      /** Runs before the measured ones: a lead-in of the same kind (counted in the cost), or with `--every` a warm-up. */
      warmup_runs: warmup,
      warmup_kind: warmup === 0 ? null : leadIn ? "lead-in" : "warm-up",
      fires: expected,
      /** The fires the cost is counted over: the measured ones and the lead-in's. */
      cost_fires: costFires,
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
      /** Settings the bench changed from the defaults, and why (the rest are the defaults). */
      settings_changed: changed,
      ...costPerFire(pagesBefore, pagesCost, costFires),
      /** From the first run's claim to every run's recovery check (idle polls after the last run included). */
      cost_window_s: round((checkedBy - windowStart) / 1000),
      /** The price counted to the last run's end only, as reported before the recovery checks were. */
      dollars_per_million_fires_to_last_run: costPerFire(pagesBefore, pagesAfter, costFires)
        .dollars_per_million_fires,
      ...breakdown,
      /** The handler's first call reached the endpoint, minus the scheduled time: what a job owner sees. */
      handler_start_lateness_ms: effect ? summary(handlerLate) : null,
      handler_calls: effect ? handlerLate.length : null,
      duplicate_side_effects: sideEffects.reduce((n, c) => n + Math.max(0, c - 1), 0),
      /** The same, estimated from the workers' histogram buckets (no max). */
      handler_start_lateness_est_ms: breakdown.handler_start_lateness_ms,
      /** Cores each process used over the window (CPU seconds ÷ wall seconds). */
      cpu_cores: cpuShare,
    };
  } finally {
    await Promise.all(procs.map((p) => p.process.stop()));
    await backends.stop();
    await effect?.close();
  }
}

/** After the last run's recovery deadline: the sweep that checks it has run. */
const CHECK_MARGIN_MS = 15_000;

/** Where-things-are settings the bench gives each process beside `common`. */
const BENCH_OWN = [
  "CHRONORING_ROLES",
  "CHRONORING_API_PORT",
  "CHRONORING_NODE_ID",
  "CHRONORING_WORKER_ID",
  "CHRONORING_METRICS_PORT",
];

/**
 * The settings the bench gives its processes that differ from the defaults,
 * with why; endpoints, table and queue prefixes, ids and ports only say
 * where things are. Printed, and part of the result.
 */
function settingsChanged(options: FireOptions, given: Set<string>): Record<string, string> {
  const changed: Record<string, string> = {
    CHRONORING_LOG_LEVEL: "warn: runs are not logged one by one (info logs each run)",
    CHRONORING_AUTH_MODE: "off: the bench's clients call without tokens (API only, not firing)",
    CHRONORING_TARGET_ALLOW:
      "127.0.0.0/8: the jobs call the bench's endpoint on loopback, which records when each handler ran",
  };
  const partitions = Number(FIELDS.find((f) => f.key === "partitions")!.default);
  if (options.partitions !== partitions) {
    changed.CHRONORING_PARTITIONS = `${options.partitions} (--partitions; default ${partitions})`;
  }
  // The processes inherit the bench's environment: a setting given there
  // counts too, unless the bench gives its own value.
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith("CHRONORING_") && !(name in changed) && !given.has(name)) {
      changed[name] = `${value} (from the bench's environment)`;
    }
  }
  return changed;
}
