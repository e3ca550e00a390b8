import { loadavg } from "node:os";
import { resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { builtArgs, type ChronoringLaunch } from "../deploy/local/chronoring-process.js";
import { measureWriteCeiling } from "./ceiling.js";
import type { Endpoints } from "./harness/stack.js";
import { RAMP_MS, TOP_OF_HOUR } from "./scale/mix.js";
import { effective, runAtCount, STORE_CHANGES } from "./scale/run.js";
import { round } from "./stats.js";

export interface ScaleOptions {
  schedules: number;
  /** The smaller count measured in the same run (0: none). */
  compare: number;
  fireS: number;
  /** Before the fire window, from the mix's first runs (default: the hourly jitter, `RAMP_MS`). */
  rampS?: number;
  /** Default: the least common multiple of the poll and sweep backstops. */
  idleS?: number;
  /** Default: half the store's ceiling, measured first, at 3 writes per fire. */
  ratePerS?: number;
  /**
   * The smoothing group (issue 13 §4, default true): in both mixes, and at
   * N the fire window placed over a top of the hour, then the same burst
   * without a window. False: out of both mixes (a short test, whose fire
   * window is too short for a 60 s window).
   */
  smoothing?: boolean;
  /**
   * Both counts at once, on their own stacks (a test that asserts counts
   * only, not CPU or lateness, which two stacks at once would disturb).
   */
  parallel?: boolean;
  /**
   * The smaller count runs again after N, on a stack of its own, and the
   * ratios take the mean of its two runs: a machine whose speed drifts
   * between the runs (the same idle work took 29–63 % more CPU in every
   * process of the later stack, the worker and API's too) weighs on both
   * sides alike.
   */
  bracket?: boolean;
  /**
   * Environment of every process over the bench's settings: CHRONORING_*
   * (a test's shorter backstops), or NODE_OPTIONS (`--node-options`).
   */
  settings?: Record<string, string>;
  log: (line: string) => void;
  launch?: (name: string) => ChronoringLaunch | undefined;
}

const ROOT = resolve(import.meta.dirname, "..");

/**
 * `--built`: the processes run the built output (`node dist/main.js`, as
 * the image does) rather than the sources under tsx, whose compiler and
 * its caches sit in every process's memory (the dispatch thread's too).
 */
export function builtLaunch(): ChronoringLaunch {
  return { command: process.execPath, args: builtArgs("--built"), cwd: ROOT, env: process.env };
}

/** Every setting the bench changes from the defaults, and why. */
export const SCALE_SETTINGS: ReadonlyArray<[string, string, string]> = [
  ["CHRONORING_AUTH_MODE", "off", "the bench's clients call without tokens"],
  [
    "CHRONORING_TARGET_ALLOW",
    "127.0.0.1/32",
    "the jobs call the bench's HTTP endpoint on loopback, which targets may not reach by default",
  ],
  [
    "CHRONORING_TENANT_MAX_ACTIVE_SCHEDULES",
    "0",
    "the default quota (10,000 active schedules per tenant) would refuse the import beyond it",
  ],
  [
    "CHRONORING_LOG_LEVEL",
    "warn",
    "a line per run at info ('run finished') would add the logging to the worker's CPU",
  ],
];

/** A fire's item writes: the claim, the start and the outcome (README, fire figures). */
const WRITES_PER_FIRE = 3;
const TARGETS = { idleRatio: 1.2, schedulerRssMb: 256, startP99Ms: 1000 };

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The idle window's unit, in which every partition's backstop poll and sweep
 * come a whole number of times (their least common multiple), and the cycle
 * their bursts recur on (their greatest common divisor).
 */
export function idleTiming(settings: Record<string, string>): { unitMs: number; cycleMs: number } {
  const poll = effective(settings, "poll-backstop-ms");
  // As src/config/config.ts takes it: capped at the queue's longest delay, at least the interval.
  const sweep = Math.max(
    effective(settings, "sweep-interval-ms"),
    Math.min(effective(settings, "sweep-backstop-ms"), effective(settings, "queue-max-delay-ms")),
  );
  const cycleMs = gcd(poll, sweep);
  return { unitMs: (poll / cycleMs) * sweep, cycleMs };
}

/**
 * `npm run bench -- scale --schedules N`: the same measure at `compare`
 * schedules and then at N, each on its own stack over the same backends
 * (`scale/run.ts`), the mix built for half the store's ceiling measured
 * first; then the ratios N ÷ compare of the idle figures and the issue's
 * targets, met or not.
 */
export async function scaleBench(backends: Endpoints, o: ScaleOptions) {
  const { log } = o;
  const settings: Record<string, string> = {
    ...Object.fromEntries(SCALE_SETTINGS.map(([k, v]) => [k, v])),
    ...o.settings,
  };
  for (const [k, v, why] of SCALE_SETTINGS)
    log(`${k}=${settings[k]} (${v === settings[k] ? why : "given"})`);
  for (const [k, v] of Object.entries(o.settings ?? {})) log(`${k}=${v} (given)`);
  const loadStart = round(loadavg()[0]!, 2);
  let ceiling: number | null = null;
  if (o.ratePerS === undefined) {
    const dynamo = new DynamoDBClient({
      endpoint: backends.dynamodb,
      region: backends.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    try {
      ceiling = await measureWriteCeiling(dynamo, {
        table: `scale-ceiling-${Date.now().toString(36)}`,
        writes: 3000,
        concurrency: 32,
      });
    } finally {
      dynamo.destroy();
    }
    log(`store ceiling: ${round(ceiling)} conditional writes/s`);
  }
  const ratePerS = o.ratePerS ?? ceiling! / WRITES_PER_FIRE / 2;
  const timing = idleTiming(settings);
  const idleMs = (o.idleS ?? 0) > 0 ? o.idleS! * 1000 : timing.unitMs;
  log(
    `mix built for ${round(ratePerS, 2)} fires/s; idle window ${idleMs / 1000} s, fire window ${o.fireS} s`,
  );
  const smoothing = o.smoothing !== false;
  const run = (schedules: number, tag: string) =>
    runAtCount(backends, {
      schedules,
      smoothing: !smoothing ? "off" : tag === "m" ? "measured" : "in-mix",
      fireCeilingPerS: ceiling === null ? null : ceiling / WRITES_PER_FIRE,
      ratePerS,
      idleMs,
      idleCycleMs: timing.cycleMs,
      fireMs: o.fireS * 1000,
      rampMs: o.rampS !== undefined ? o.rampS * 1000 : RAMP_MS,
      prefix: `scale${tag}${Date.now().toString(36)}-`,
      settings,
      log: (line) => log(`[${schedules}] ${line}`),
      ...(o.launch ? { launch: o.launch } : {}),
    });
  const [baseline, main] = o.parallel
    ? await Promise.all([o.compare > 0 ? run(o.compare, "c") : null, run(o.schedules, "m")])
    : [o.compare > 0 ? await run(o.compare, "c") : null, await run(o.schedules, "m")];
  const after = baseline && o.bracket ? await run(o.compare, "a") : null;
  type Figure = (r: typeof main) => number;
  const over = (pick: Figure, smaller: number) => round(pick(main) / Math.max(smaller, 1e-9), 3);
  /** N's figure over the smaller count's: the mean of its runs before and after N, when bracketed. */
  const ratio = (pick: Figure) =>
    baseline ? over(pick, after ? (pick(baseline) + pick(after)) / 2 : pick(baseline)) : null;
  /** The same ratio against each run of the smaller count alone (before, after). */
  const each = (pick: Figure) =>
    baseline && after ? [over(pick, pick(baseline)), over(pick, pick(after))] : null;
  const ratios = {
    idle_scheduler_cpu: ratio((r) => r.idle.processes.scheduler!.cpu_cores),
    idle_scheduler_read_units_per_s: ratio((r) => r.idle.scheduler_store.read_units_per_s),
    idle_scheduler_queries_per_s: ratio((r) => r.idle.scheduler_store.queries_per_s),
    idle_scheduler_requests_per_s: ratio((r) => r.idle.scheduler_store.requests_per_s),
    scheduler_rss: ratio((r) => r.rss_peak_mb.scheduler!),
    /** With `bracket`: the idle ratios against the run before N and the one after, each alone. */
    bracketed: after
      ? {
          idle_scheduler_cpu: each((r) => r.idle.processes.scheduler!.cpu_cores),
          idle_worker_cpu: each((r) => r.idle.processes.worker!.cpu_cores),
          idle_api_cpu: each((r) => r.idle.processes.api!.cpu_cores),
          idle_scheduler_read_units_per_s: each((r) => r.idle.scheduler_store.read_units_per_s),
        }
      : null,
    /** The processes with no work per schedule when idle, for scale: a drift of the machine shows here too. */
    idle_worker_cpu: ratio((r) => r.idle.processes.worker!.cpu_cores),
    idle_api_cpu: ratio((r) => r.idle.processes.api!.cpu_cores),
  };
  const met = (value: number | null, target: number) => ({
    value,
    target,
    met: value === null ? null : value <= target,
  });
  return {
    bench: "scale",
    schedules: o.schedules,
    compare: o.compare,
    store_ceiling_writes_per_s: ceiling === null ? null : round(ceiling),
    target_fires_per_s: round(ratePerS, 2),
    idle_window_s: idleMs / 1000,
    fire_window_s: o.fireS,
    load_1m: { start: loadStart, end: round(loadavg()[0]!, 2) },
    settings_changed: settings,
    store_changed: STORE_CHANGES,
    main,
    baseline,
    baseline_after: after,
    ratios,
    targets: {
      idle_cpu_ratio: met(ratios.idle_scheduler_cpu, TARGETS.idleRatio),
      idle_read_units_ratio: met(ratios.idle_scheduler_read_units_per_s, TARGETS.idleRatio),
      idle_queries_ratio: met(ratios.idle_scheduler_queries_per_s, TARGETS.idleRatio),
      scheduler_rss_mb: met(main.rss_peak_mb.scheduler!, TARGETS.schedulerRssMb),
      start_p99_ms: met(main.fire.start_lateness_ms.p99, TARGETS.startP99Ms),
      duplicates: met(
        main.fire.duplicates + (baseline?.fire.duplicates ?? 0) + (after?.fire.duplicates ?? 0),
        0,
      ),
      missed: met(main.fire.missed + (baseline?.fire.missed ?? 0) + (after?.fire.missed ?? 0), 0),
    },
    smoothing: smoothingReport(main.smoothing, o.fireS),
  };
}

/**
 * The report's `smoothing` keys (issue 13 §4), from the top-of-the-hour
 * group at N: `max_starts_in_1s_over_mean`, the most starts of the group's
 * runs in one second ÷ their mean over the window's planned part (target
 * ≤ 1.3); `all_within_window`, every run started within its window;
 * `limited_by`, whether its starts fit the window or the store drained
 * them past it; `burst_without_window`, the same count due at one instant
 * with no window (a second short run, `scale/plain-burst.ts`): `drain_s`,
 * `rate_per_s` and that ÷ the store's ceiling in fires (`ceiling_ratio`).
 */
function smoothingReport(at: Awaited<ReturnType<typeof runAtCount>>["smoothing"], fireS: number) {
  const windowed = at?.with_window ?? null;
  return {
    enabled: at !== null,
    reason:
      at === null
        ? "left out of the mix (smoothing: false)"
        : windowed === null
          ? `no top of the hour in the ${fireS} s fire window`
          : null,
    schedules: at?.schedules ?? 0,
    zone: at?.zone ?? null,
    window_s: TOP_OF_HOUR.windowMs / 1000,
    max_starts_in_1s_over_mean: windowed?.max_starts_in_1s_over_mean ?? null,
    max_starts_in_1s_target: 1.3,
    all_within_window: windowed?.all_within_window ?? null,
    limited_by: windowed?.limited_by ?? null,
    with_window: windowed,
    burst_without_window: at?.burst_without_window ?? null,
  };
}
