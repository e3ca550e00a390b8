import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from "@aws-sdk/client-dynamodb";
import { startBackends } from "../deploy/local/backends.js";
import { metricValue } from "../deploy/local/chronoring-process.js";
import { parseExecutionId } from "../src/core/execution.js";
import { measureWriteCeiling } from "./ceiling.js";
import { workerBreakdown, workerPhases } from "./fire-breakdown.js";
import { costPerFire } from "./fire-cost.js";
import { bulkCreate, sendWakeHints, type WrittenJob } from "./harness/bulk-jobs.js";
import { type EffectServer, startEffectServer } from "./harness/effect-server.js";
import { createStack } from "./harness/stack.js";
import { WARMUP_LEAD_MS, warmupTimes } from "./harness/warmup.js";
import { round, summary } from "./stats.js";

export interface BurstOptions {
  /** LOW and MEDIUM runs (half each) due at one instant. */
  jobs: number;
  /** HIGH runs due at that instant, and as many again `laterS` after it. */
  high: number;
  laterS: number;
  /** Warm-up runs before the burst (`harness/warmup.ts`), left out of every figure. */
  warmup: number;
  workers: number;
  partitions: number;
}

const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/** What the bench changes from the defaults, and why (printed, and part of the result). */
const SETTINGS_CHANGED = {
  CHRONORING_LOG_LEVEL: "warn: runs are not logged one by one (info logs each run)",
  CHRONORING_AUTH_MODE: "off: the bench's clients call without tokens (API only, not firing)",
  CHRONORING_TARGET_ALLOW:
    "127.0.0.0/8: the HIGH jobs call the bench's endpoint on loopback, which records when each handler ran",
};

/**
 * `npm run bench -- burst`: the top of the minute. `jobs` LOW and MEDIUM
 * one-time runs and `high` HIGH ones are due at one instant, `high` more
 * HIGH ones `laterS` seconds later, in the middle of the drain. One API +
 * scheduler node and `workers` workers on the defaults, fresh backends;
 * everything reported is read back from the stored executions and the
 * processes' metrics. The HIGH jobs are written last, so that in a due
 * index ordered by time alone they sort behind their partition's burst;
 * they call the bench's HTTP endpoint, which records when each handler
 * really ran (the rest are noop jobs).
 */
export async function burstBench(options: BurstOptions, log: (line: string) => void) {
  const backends = await startBackends({ warm: true, log });
  const dynamo = new DynamoDBClient({
    endpoint: backends.dynamodb,
    region: backends.region,
    credentials: CREDENTIALS,
  });
  const prefix = `bu${randomBytes(3).toString("hex")}-`;
  const effect = await startEffectServer({ callMs: 0 });
  for (const [name, why] of Object.entries(SETTINGS_CHANGED)) log(`setting ${name}: ${why}`);
  const stack = createStack({
    backends,
    prefix,
    log,
    settings: {
      CHRONORING_PARTITIONS: String(options.partitions),
      CHRONORING_LOG_LEVEL: "warn",
      // The bench measures firing, not token checks; its clients call without tokens.
      CHRONORING_AUTH_MODE: "off",
      CHRONORING_TARGET_ALLOW: "127.0.0.0/8",
    },
  });
  try {
    const ceiling = await measureWriteCeiling(dynamo, {
      table: `${prefix}ceiling`,
      writes: 3000,
      concurrency: 32,
    });
    log(`store ceiling: ${round(ceiling)} conditional writes/s`);
    await stack.api("scheduler", { CHRONORING_ROLES: "api,scheduler", CHRONORING_NODE_ID: "s1" });
    for (let i = 1; i <= options.workers; i++) await stack.worker(`w${i}`);
    await stack.waitForCluster(1);

    const total = options.jobs + 2 * options.high;
    const warmLead = options.warmup ? WARMUP_LEAD_MS + options.warmup * 2 : 0;
    const t0 = Date.now() + 12_000 + total * 2 + warmLead;
    const t1 = t0 + options.laterS * 1000;
    const rest = await bulkCreate(
      dynamo,
      `${prefix}jobs`,
      Array.from({ length: options.jobs }, (_, i) => ({
        at: t0,
        priority: i % 2 ? ("LOW" as const) : ("MEDIUM" as const),
      })),
      { partitions: options.partitions },
    );
    const high = await bulkCreate(
      dynamo,
      `${prefix}jobs`,
      [
        ...Array.from({ length: options.high }, () => ({ at: t0, priority: "HIGH" as const })),
        ...Array.from({ length: options.high }, () => ({ at: t1, priority: "HIGH" as const })),
      ],
      { partitions: options.partitions, url: effect.url },
    );
    // Calling the endpoint too, so that the handler's path is warm; only the HIGH jobs' calls count.
    const warm = await bulkCreate(dynamo, `${prefix}jobs`, warmupTimes(t0, options.warmup), {
      partitions: options.partitions,
      url: effect.url,
    });
    const written = [...rest, ...high];
    await sendWakeHints(
      backends.etcd,
      {
        CHRONORING_ETCD_PREFIX: `/${prefix}/`,
        CHRONORING_PARTITIONS: String(options.partitions),
        CHRONORING_AUTH_MODE: "off",
      },
      [...written, ...warm],
    );
    log(`created ${total} jobs; the burst is due in ${t0 - Date.now()} ms`);
    if (Date.now() > t0 - 8000 - (options.warmup ? WARMUP_LEAD_MS : 0)) {
      log("warning: creation ran into the firing window");
    }

    const pages = async () =>
      Promise.all(
        [...stack.procs.values()].map(async (p) =>
          p.metricsUrl ? (await fetch(p.metricsUrl)).text() : "",
        ),
      );
    const sum = (ps: string[], name: string) => ps.reduce((n, t) => n + metricValue(t, name), 0);
    await sleep(Math.max(0, t0 - Date.now() - 7000));
    const before = await pages();
    const deadline = t1 + 120_000 + total * 20;
    /** The workers' pages between the two HIGH waves: the first wave's phases alone. */
    let between: string[] | undefined;
    const workerPages = (all: string[]) =>
      all.filter((_, i) => [...stack.procs.keys()][i]!.startsWith("w"));
    for (;;) {
      const now = await pages();
      if (!between && Date.now() > (t0 + t1) / 2) between = workerPages(now);
      const finished = sum(now, "chronoring_runs_finished_total");
      if (finished >= total + warm.length && Date.now() > t1) break;
      if (Date.now() > deadline) {
        log(`timed out with ${finished} of ${total} runs finished`);
        break;
      }
      await sleep(500);
    }
    await sleep(1000);
    const after = await pages();
    const writesPerFire =
      (sum(after, "chronoring_store_item_writes_total") -
        sum(before, "chronoring_store_item_writes_total")) /
      total;
    const rows = await executions(dynamo, `${prefix}executions`);
    return {
      bench: "burst",
      jobs: options.jobs,
      high: options.high,
      warmup_runs: options.warmup,
      workers: options.workers,
      settings_changed: SETTINGS_CHANGED,
      ...verdict(rows, written, effect, { t0, t1, ceiling, writesPerFire }),
      claim_passes: {
        index: passes(after, "index") - passes(before, "index"),
        known: passes(after, "known") - passes(before, "known"),
        high: passes(after, "high") - passes(before, "high"),
      },
      ...costPerFire(before, after, total),
      high_at_burst_phases_ms: between ? workerPhases(between, { priority: "HIGH" }) : null,
      high_phases_ms: workerPhases(workerPages(after), { priority: "HIGH" }),
      // The burst's runs only: the warm-up's are counted in the pages before.
      ...workerBreakdown(workerPages(after), workerPages(before)),
    };
  } finally {
    await stack.stop();
    dynamo.destroy();
    await backends.stop();
    await effect.close();
  }
}

/** Claim passes of one source, from the scheduler's `chronoring_claim_passes_total`. */
function passes(pages: string[], source: string): number {
  return pages.reduce(
    (n, p) => n + metricValue(p, `chronoring_claim_passes_total{source="${source}"}`),
    0,
  );
}

interface Row {
  jobId: string;
  st: string;
  queued?: number;
  started?: number;
  ended?: number;
}

async function executions(client: DynamoDBClient, table: string): Promise<Row[]> {
  const rows: Row[] = [];
  let key: ScanCommandOutput["LastEvaluatedKey"];
  do {
    const out: ScanCommandOutput = await client.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: key }),
    );
    for (const item of out.Items ?? []) {
      const num = (a: string) => (item[a]?.N === undefined ? undefined : Number(item[a]!.N));
      rows.push({
        jobId: item.job_id!.S!,
        st: item.st!.S!,
        ...(num("queued") === undefined ? {} : { queued: num("queued")! }),
        ...(num("started") === undefined ? {} : { started: num("started")! }),
        ...(num("ended") === undefined ? {} : { ended: num("ended")! }),
      });
    }
    key = out.LastEvaluatedKey;
  } while (key);
  return rows;
}

/**
 * The figures: each HIGH wave's lateness (sent, started as written, and the
 * handler's first call at the endpoint), the rest's drain against the
 * ceiling, dup / missed.
 */
function verdict(
  rows: Row[],
  written: WrittenJob[],
  effect: EffectServer,
  run: { t0: number; t1: number; ceiling: number; writesPerFire: number },
) {
  const jobs = new Map(written.map((j) => [j.id, j]));
  // The warm-up's runs are in the table too: only the written jobs count.
  const ok = rows.filter((r) => r.st === "SUCCEEDED" && jobs.has(r.jobId));
  const perJob = new Map<string, number>();
  for (const r of ok) perJob.set(r.jobId, (perJob.get(r.jobId) ?? 0) + 1);
  const of = (keep: (j: WrittenJob) => boolean) => ok.filter((r) => keep(jobs.get(r.jobId)!));
  const late = (rs: Row[], field: "queued" | "started") =>
    summary(
      rs.filter((r) => r[field] !== undefined).map((r) => r[field]! - jobs.get(r.jobId)!.nextRunMs),
    );
  // The endpoint's first call of each execution (`job:scheduledMs:attempt`).
  const calls = new Map<string, number>();
  for (const [id, t] of effect.firstCalls) {
    const { jobId, scheduledMs } = parseExecutionId(id)!;
    const first = calls.get(jobId);
    const ms = t - scheduledMs;
    if (first === undefined || ms < first) calls.set(jobId, ms);
  }
  const wave = (at: number) => {
    const rs = of((j) => j.priority === "HIGH" && j.nextRunMs === at);
    const handler = rs.map((r) => calls.get(r.jobId)).filter((t): t is number => t !== undefined);
    return {
      runs: rs.length,
      sent_ms: late(rs, "queued"),
      started_ms: late(rs, "started"),
      handler_started_ms: summary(handler),
      handler_calls: handler.length,
    };
  };
  const rest = of((j) => j.priority !== "HIGH");
  const lastEnd = Math.max(...rest.map((r) => r.ended ?? 0));
  const drainPerS = rest.length / Math.max(0.001, (lastEnd - run.t0) / 1000);
  const ceilingFires = run.ceiling / Math.max(run.writesPerFire, 0.001);
  const atBurst = wave(run.t0);
  const later = wave(run.t1);
  return {
    high_at_burst: atBurst,
    high_later: later,
    high_started_max_ms: Math.max(atBurst.started_ms.max, later.started_ms.max),
    /** Target 2's figure: when the HIGH runs' handlers first ran. */
    high_handler_started_max_ms: Math.max(
      atBurst.handler_started_ms.max,
      later.handler_started_ms.max,
    ),
    rest: {
      runs: rest.length,
      started_ms: late(rest, "started"),
      drain_s: round((lastEnd - run.t0) / 1000),
      drain_per_s: round(drainPerS),
    },
    store_ceiling_writes_per_s: round(run.ceiling),
    store_writes_per_fire: round(run.writesPerFire, 2),
    drain_ratio: round(drainPerS / ceilingFires, 2),
    duplicates: [...perJob.values()].reduce((n, c) => n + c - 1, 0),
    missed: written.length - perJob.size,
  };
}
