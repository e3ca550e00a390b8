import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { type ChronoringLaunch, metricValue } from "../../deploy/local/chronoring-process.js";
import { LOCAL_CREDENTIALS } from "../../deploy/local/dynamodb-local.js";
import { TTL_ATTRIBUTE } from "../../src/adapters/dynamodb/idempotency.js";
import { envName, FIELDS } from "../../src/config/settings.js";
import { byLabel } from "../fire-cost.js";
import { startEffectServer } from "../harness/effect-server.js";
import { createProcSampler } from "../harness/proc-sampler.js";
import type { Window } from "../harness/schedule.js";
import { createStack, type Endpoints, type Stack } from "../harness/stack.js";
import { round } from "../stats.js";
import { expectedRuns } from "./expected.js";
import { placeIdleWindow } from "./idle-window.js";
import { importMix } from "./import-mix.js";
import { planMix, TOP_OF_HOUR_ZONE } from "./mix.js";
import { plainBurst } from "./plain-burst.js";
import { placeOverTopOfHour, windowedFigures } from "./smoothing.js";
import { storeCalls } from "./store-calls.js";
import { drain, judgeWindow, plannedStarts, runArrivals, settled } from "./verdict.js";

export interface CountOptions {
  schedules: number;
  /** Fires per second the mix is built for. */
  ratePerS: number;
  /**
   * The idle window's unit, ms: a multiple of both backstops counts each
   * exactly. The window is the most whole units that fit before the fire
   * window (at least one; fewer when the import ran late: then flagged).
   */
  idleMs: number;
  /** The backstops' greatest common divisor, ms: an idle node's reads come in bursts on it. */
  idleCycleMs: number;
  /** The fire window, ms. */
  fireMs: number;
  /**
   * Between the mix's first runs and the fire window, ms: runs jittered
   * by up to J reach their steady rate J after their first nominal time.
   * Checked, not measured.
   */
  rampMs: number;
  /** Table, queue and etcd prefix of this count's stack. */
  prefix: string;
  /** CHRONORING_* settings of every process (the bench's changes). */
  settings: Record<string, string>;
  /**
   * The smoothing group (`TOP_OF_HOUR`): `off`, out of the mix; `in-mix`,
   * in it wherever the fire window falls; `measured`, in it with the fire
   * window placed over a top of the hour in its zone, then the same burst
   * without a window on the same stack (`plain-burst.ts`).
   */
  smoothing: "off" | "in-mix" | "measured";
  /** The store's ceiling in fires (its conditional writes ÷ 3); null when not measured. */
  fireCeilingPerS: number | null;
  log: (line: string) => void;
  launch?: (name: string) => ChronoringLaunch | undefined;
}

/** After the import, before the idle window may begin: the API's last writes settle. */
const SETTLE_MS = 5_000;
/** Between the idle window's end and the first claims (the fire window's start − look-ahead). */
const MARGIN_MS = 5_000;
const REQUESTS = "chronoring_store_requests_total";

/** A setting's value for the processes: the bench's, else the default. */
export function effective(settings: Record<string, string>, key: string): number {
  const name = envName(key);
  return Number(settings[name] ?? FIELDS.find((f) => envName(f.key) === name)!.default);
}

const load1m = () => round(loadavg()[0]!, 2);

/**
 * What the bench changes in the store, not in Chronoring's settings: the jobs
 * table's TTL (on for its idempotency records) is turned off. DynamoDB Local's
 * expiry job scans the whole table under its write lock, and at 1,000,000
 * items those scans held off the scheduler's queries until its claims timed
 * out (a jstack: five TimeToLiveDeletionJob scans queued on its one SQLite
 * thread). DynamoDB on AWS expires items in the background, outside the
 * table's throughput: this models it.
 */
export const STORE_CHANGES = [
  "jobs table TTL off (DynamoDB Local's expiry scans hold its write lock)",
];

async function jobsTtlOff(backends: Endpoints, table: string, log: (line: string) => void) {
  const dynamo = new DynamoDBClient({
    endpoint: backends.dynamodb,
    region: backends.region,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: false },
      }),
    );
    log(`store changed: ${STORE_CHANGES[0]}`);
  } finally {
    dynamo.destroy();
  }
}

/**
 * One count of `bench scale` on its own stack (one API, one scheduler node,
 * one worker; fresh tables): the mix imported through ImportJobs, an idle
 * window in which every schedule exists and none is due (the recurring ones
 * start at the fire window), then the fire window; figures read back from
 * /proc, the processes' /metrics, the endpoint and the store.
 */
export async function runAtCount(backends: Endpoints, o: CountOptions) {
  const { log } = o;
  const plan = planMix(o.schedules, o.ratePerS, { topOfHour: o.smoothing !== "off" });
  log(
    `${o.schedules} schedules: ${plan.groups.map((g) => `${g.group} ${g.count}`).join(", ")}; interval every ${plan.intervalPeriodS} s; expected ${plan.expectedPerS} fires/s (${JSON.stringify(plan.perS)})`,
  );
  const effect = await startEffectServer({ callMs: 0 });
  const stack = createStack({
    backends,
    prefix: o.prefix,
    settings: o.settings,
    log,
    // Three processes after the others, on a machine that may be busy.
    readyTimeoutMs: 180_000,
    ...(o.launch ? { launch: o.launch } : {}),
  });
  try {
    // One at a time: three processes compiling the sources at once on a
    // busy machine can each miss the start timeout.
    await stack.api();
    await stack.scheduler("scheduler");
    await stack.worker("worker");
    await stack.waitForCluster(1);
    await jobsTtlOff(backends, `${o.prefix}jobs`, log);
    const pid = (name: string) => stack.procs.get(name)!.process.pid;
    const sampler = createProcSampler({
      api: pid("api"),
      scheduler: pid("scheduler"),
      worker: pid("worker"),
    });
    try {
      const lookaheadMs = effective(o.settings, "lookahead-ms");
      // The idle window's placing watches one cycle and may wait one more.
      const lead = SETTLE_MS + 2 * o.idleCycleMs + o.idleMs + MARGIN_MS + lookaheadMs;
      const imported = await importMix(
        stack,
        plan,
        {
          url: effect.url,
          planStart: (endMs) => {
            const earliest = Math.ceil((endMs + lead) / 1000) * 1000;
            if (o.smoothing !== "measured") return { fireFromMs: earliest };
            const placed = placeOverTopOfHour(earliest, o.rampMs);
            log(
              `top of the hour in ${placed.topZone} at ${new Date(placed.topAtMs).toISOString()}: ${round((placed.fireFromMs - earliest) / 1000)} s more idle`,
            );
            return placed;
          },
        },
        log,
      );
      // Checked from the mix's first run; measured once it fires at its steady rate.
      const checked: Window = {
        startMs: imported.fireFromMs,
        endMs: imported.fireFromMs + o.rampMs + o.fireMs,
      };
      const window: Window = { startMs: checked.startMs + o.rampMs, endMs: checked.endMs };
      log(`imported in ${imported.figures.seconds} s (${imported.figures.rate_per_s}/s)`);

      // Idle: every schedule stored, none due before the fire window.
      const scheduler = stack.procs.get("scheduler")!.metricsUrl!;
      const idleWindow = await placeIdleWindow({
        count: async () =>
          byLabel([await (await fetch(scheduler)).text()], REQUESTS, "command").get(
            "QueryCommand",
          ) ?? 0,
        cycleMs: o.idleCycleMs,
        unitMs: o.idleMs,
        earliestMs: Date.now() + SETTLE_MS,
        latestEndMs: checked.startMs - lookaheadMs - MARGIN_MS,
      });
      if (idleWindow.units === 0) {
        log(
          `warning: the import ran late; the idle window is ${round((idleWindow.endMs - idleWindow.startMs) / 1000)} s, not a whole unit`,
        );
      }
      await sleep(Math.max(0, idleWindow.startMs - Date.now()));
      const idle = await measure(stack, sampler, "idle", idleWindow.endMs, log);
      // In the log as soon as measured: a fire window that stalls the store
      // (a million schedules' top of the hour did) must not take them along.
      log(
        `idle figures: ${JSON.stringify({ units: idleWindow.units, processes: idle.procs, scheduler_store: idle.store.scheduler, rss_peak_mb: sampler.peak() })}`,
      );

      // Fire: the mix's runs come due from `checked.startMs`, at their steady rate from the window's.
      // The ramp's longest event-loop stall per process: each scrape restarts the lag's measure.
      await sleep(Math.max(0, checked.startMs - Date.now()));
      await scrapeAll(stack);
      await sleep(Math.max(0, window.startMs - Date.now()));
      const rampLagS = lagMax(await scrapeAll(stack));
      log(`ramp: longest event-loop stall (s) ${JSON.stringify(rampLagS)}`);
      const fire = await measure(stack, sampler, "fire", window.endMs, log);
      const inWindow = [...effect.firstCalls.values()].filter(
        (t) => t >= window.startMs && t < window.endMs,
      ).length;

      await drain(effect.firstCalls, checked, log);
      const dynamo = new DynamoDBClient({
        endpoint: backends.dynamodb,
        region: backends.region,
        credentials: LOCAL_CREDENTIALS,
        // A scan page of a million-job table on a store still draining a burst
        // was refused with a socket hang up after the SDK's 3 tries.
        maxAttempts: 10,
      });
      const t0 = Date.now();
      const expected = await expectedRuns(dynamo, `${o.prefix}jobs`, checked).finally(() =>
        dynamo.destroy(),
      );
      log(
        `${expected.runs.size} runs expected of ${expected.jobs} jobs (read in ${Date.now() - t0} ms)`,
      );
      const rows = await settled(backends, o.prefix, checked, expected.runs, effect, log);
      const verdict = judgeWindow(expected.runs, rows, effect, checked, window);
      const writes = fire.writes / Math.max(inWindow, 1);
      const top = plan.groups.find((g) => g.group === "top_of_hour")!.count;
      const smoothing =
        o.smoothing === "off"
          ? null
          : {
              zone: imported.topZone ?? TOP_OF_HOUR_ZONE,
              schedules: top,
              with_window: windowedFigures({
                expected: expected.runs,
                arrivals: runArrivals(effect, checked),
                planned: plannedStarts(rows),
                fireCeilingPerS: o.fireCeilingPerS,
              }),
              burst_without_window:
                o.smoothing === "measured"
                  ? await plainBurst({
                      stack,
                      backends,
                      prefix: o.prefix,
                      effect,
                      count: top,
                      importRatePerS: imported.figures.rate_per_s,
                      lookaheadMs,
                      fireCeilingPerS: o.fireCeilingPerS,
                      log,
                    }).catch((e: unknown) => ({ error: String(e) }))
                  : null,
            };
      return {
        schedules: o.schedules,
        mix: {
          ...Object.fromEntries(plan.groups.map((g) => [g.group, g.count])),
          interval_period_s: plan.intervalPeriodS,
        },
        mix_fires_per_s: plan.expectedPerS,
        // Jobs in the table: `created` plus any refused as unavailable that the store applied.
        import: { ...imported.figures, jobs_stored: expected.jobs },
        idle: {
          window_s: round(idle.seconds),
          /** Whole units (both backstops' least common multiple) measured; 0: cut short by a late import. */
          units: idleWindow.units,
          load_1m: idle.load,
          processes: idle.procs,
          scheduler_store: idle.store.scheduler,
          all_store: idle.store.all,
          scheduler_disturbed: idle.disturbed,
        },
        fire: {
          window_s: round(o.fireMs / 1000),
          ramp_s: round(o.rampMs / 1000),
          load_1m: fire.load,
          ...verdict,
          processes: fire.procs,
          ramp_event_loop_lag_max_s: rampLagS,
          event_loop_lag_max_s: fire.lagMaxS,
          scheduler_store: fire.store.scheduler,
          scheduler_disturbed: fire.disturbed,
          store_writes_per_fire: round(writes, 2),
        },
        smoothing,
        rss_peak_mb: sampler.peak(),
      };
    } finally {
      sampler.stop();
    }
  } finally {
    await stack.stop();
    await effect.close();
  }
}

const PROCS = ["api", "scheduler", "worker"];

/** The /metrics pages of the api, scheduler and worker, in `PROCS` order. */
function scrapeAll(stack: Stack): Promise<string[]> {
  return Promise.all(PROCS.map(async (n) => (await fetch(stack.procs.get(n)!.metricsUrl!)).text()));
}

/**
 * Each process's `nodejs_eventloop_lag_max_seconds` on `pages`: the longest
 * stall since the scrape before (prom-client resets the measure at each).
 */
function lagMax(pages: string[]): Record<string, number> {
  return Object.fromEntries(
    PROCS.map((n, i) => [n, round(metricValue(pages[i]!, "nodejs_eventloop_lag_max_seconds"), 3)]),
  );
}

/**
 * A measured phase from now to `untilMs`: CPU and RSS of each process
 * (/proc), and what the scheduler and all processes asked of the store
 * (their /metrics at both ends).
 */
async function measure(
  stack: Stack,
  sampler: ReturnType<typeof createProcSampler>,
  phase: string,
  untilMs: number,
  log: (line: string) => void,
) {
  const load = { start: load1m(), end: 0 };
  // The window is [now, untilMs]: its length, not the scrapes' moments, is
  // what the counts are divided by (its edges fall where nothing is read).
  const t0 = Date.now();
  const seconds = (untilMs - t0) / 1000;
  const before = await scrapeAll(stack);
  sampler.begin(phase);
  log(`${phase} window: ${round(seconds)} s (load ${load.start})`);
  await sleep(Math.max(0, untilMs - Date.now()));
  const procs = sampler.end(phase);
  const after = await scrapeAll(stack);
  load.end = load1m();
  const at = (pages: string[], n: string) => [pages[PROCS.indexOf(n)]!];
  const change = (name: string, of = PROCS) =>
    of.reduce((n, p) => {
      const i = PROCS.indexOf(p);
      return n + metricValue(after[i]!, name) - metricValue(before[i]!, name);
    }, 0);
  return {
    seconds,
    load,
    procs,
    /** Each process's longest event-loop stall in the window (prom-client's, reset by each scrape). */
    lagMaxS: lagMax(after),
    writes: change("chronoring_store_item_writes_total"),
    /** Work the scheduler did not choose: a lost etcd session gives its partitions up and gains them again. */
    disturbed: {
      sessions_lost: change("chronoring_sessions_lost_total", ["scheduler"]),
      partition_moves: change("chronoring_partition_moves_total", ["scheduler"]),
    },
    store: {
      scheduler: storeCalls(at(before, "scheduler"), at(after, "scheduler"), seconds),
      all: storeCalls(before, after, seconds),
    },
  };
}
