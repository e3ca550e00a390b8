import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type ChronoringLaunch, metricValue } from "../deploy/local/chronoring-process.js";
import { partitionOf } from "../src/core/partition.js";
import { startEffectServer } from "./harness/effect-server.js";
import { createEverySecondJobs, type Fault, runFaults, windowSeconds } from "./harness/schedule.js";
import { createStack, type Endpoints, FAST_FAILOVER_SETTINGS } from "./harness/stack.js";
import {
  judge,
  latenessTimeline,
  longestGaps,
  sentFirstAttempts,
  settleExecutions,
} from "./harness/verdict.js";
import { summary } from "./stats.js";

export type { Endpoints } from "./harness/stack.js";

export interface FailoverOptions {
  /** Schedules firing every second. */
  jobs: number;
  /** Length of the observed window, s (the faults are spread over it). */
  durationS: number;
  partitions: number;
  /** How long each side-effect call takes, ms (runs are in flight when a worker dies). */
  callMs: number;
  /** The schedules' priority (absent: the default, MEDIUM). */
  priority?: "HIGH" | "MEDIUM" | "LOW";
  /** How each process is started (`--built`: `node dist/main.js`); absent: the sources under tsx. */
  launch?: (name: string) => ChronoringLaunch | undefined;
  /**
   * false (`--no-faults`): the same stack and load with no fault, to tell what
   * the load costs from what the faults cost.
   */
  faults?: boolean;
  log: (line: string) => void;
}

/**
 * The failover scenario: one API process, 3 scheduler nodes and 2 workers on
 * real backends; `jobs` schedules fire every second into an HTTP endpoint
 * that logs each completed call (the side effect); meanwhile the leader is
 * SIGKILLed, then a non-leader, two nodes are added, a node is SIGSTOPped
 * past its lease and resumed, and a worker is SIGKILLed mid-run. Everything
 * reported is read back from the executions table and the side-effect log.
 */
export async function failoverScenario(backends: Endpoints, options: FailoverOptions) {
  const { log } = options;
  const prefix = `fo${randomBytes(3).toString("hex")}-`;
  const effect = await startEffectServer({ callMs: options.callMs });
  const stack = createStack({
    backends,
    prefix,
    log,
    ...(options.launch ? { launch: options.launch } : {}),
    settings: {
      CHRONORING_PARTITIONS: String(options.partitions),
      ...FAST_FAILOVER_SETTINGS,
      // The jobs call the effect server on loopback, which targets may not reach by default.
      CHRONORING_TARGET_ALLOW: "127.0.0.1/32",
      // The bench measures failover, not token checks; its clients call without tokens.
      CHRONORING_AUTH_MODE: "off",
    },
  });
  const worker = (name: string) => stack.worker(name, { CHRONORING_WORKER_CONCURRENCY: "64" });
  /** A process's metrics page; empty if it has none or no longer answers (killed). */
  const metricsPage = async (name: string): Promise<string> => {
    const url = stack.procs.get(name)?.metricsUrl;
    return url
      ? fetch(url)
          .then((r) => r.text())
          .catch(() => "")
      : "";
  };

  try {
    await stack.api();
    await Promise.all([
      stack.scheduler("s1"),
      stack.scheduler("s2"),
      stack.scheduler("s3"),
      worker("w1"),
      worker("w2"),
    ]);
    log("processes up");
    const { cluster } = stack.clients();
    await stack.waitForCluster(3);
    const { ids, window } = await createEverySecondJobs(
      stack,
      {
        jobs: options.jobs,
        durationS: options.durationS,
        url: effect.url,
        name: "failover",
        ...(options.priority ? { priority: options.priority } : {}),
      },
      log,
    );

    const d = options.durationS;
    let leaderKill: { atMs: number; partitions: Set<number> } | undefined;
    const at = (fraction: number, what: string, act: () => Promise<void>): Fault => ({
      atS: Math.round(fraction * d),
      what,
      act,
    });
    const schedulers = () => [...stack.procs.keys()].filter((n) => n.startsWith("s"));
    /**
     * The leader and the partitions it owns, read again (every 250 ms, up to
     * 5 s) while it owns none: a leader whose session lapsed under load and
     * came back owns nothing until its next assignment, and killing it then
     * measures no takeover (a clean-clone run once got null for
     * leader_kill_to_first_fire_ms so).
     */
    const leaderOwningPartitions = async () => {
      const until = Date.now() + 5_000;
      for (;;) {
        const view = await cluster.getCluster({});
        const leader = view.leaderId;
        const partitions = new Set(
          view.partitions.filter((p) => leader && p.nodeId === leader).map((p) => p.partition),
        );
        if (partitions.size > 0 || Date.now() >= until) return { leader, partitions };
        log(`leader "${leader}" owns no partition yet; reading the cluster again`);
        await sleep(250);
      }
    };
    let stopped = "";
    const faults = await runFaults(
      window,
      options.faults === false
        ? []
        : [
            at(0.15, "SIGKILL the leader", async () => {
              const { leader, partitions } = await leaderOwningPartitions();
              leaderKill = { atMs: Date.now(), partitions };
              stack.signal(leader, "SIGKILL");
            }),
            at(0.3, "SIGKILL a non-leader scheduler", async () => {
              const view = await cluster.getCluster({});
              stack.signal(schedulers().find((n) => n !== view.leaderId)!, "SIGKILL");
            }),
            at(0.4, "add two scheduler nodes", async () => {
              await Promise.all([stack.scheduler("s4"), stack.scheduler("s5")]);
            }),
            at(0.55, "SIGSTOP a scheduler past its lease TTL (2 s)", async () => {
              const view = await cluster.getCluster({});
              stopped = schedulers().find((n) => n !== view.leaderId)!;
              stack.signal(stopped, "SIGSTOP");
            }),
            at(0.65, "SIGCONT it", async () => stack.signal(stopped, "SIGCONT")),
            at(0.75, "SIGKILL a worker in the middle of runs", async () => {
              // Runs go out on the second: a little later they are executing.
              // Runs sent together share a message, so one worker may hold all
              // of a second's runs: the one executing more is killed.
              await sleep(options.callMs / 2);
              const inFlight = await Promise.all(
                ["w1", "w2"].map(async (name) => ({
                  name,
                  runs: metricValue(await metricsPage(name), "chronoring_worker_in_flight"),
                })),
              );
              const busiest = inFlight.reduce((a, b) => (b.runs > a.runs ? b : a));
              stack.signal(busiest.name, "SIGKILL");
            }),
          ],
      log,
    );
    await sleep(Math.max(0, window.endMs - Date.now()));
    log("window over; waiting for in-flight and recovered runs to settle");

    const rows = await settleExecutions(backends, prefix, window, ids.length);
    const verdict = judge(rows, ids, window, effect.effects);
    let leaderToFirstFire: number | null = null;
    if (leaderKill) {
      const { atMs, partitions } = leaderKill;
      const after = sentFirstAttempts(rows)
        .filter((r) => r.queued! > atMs && partitions.has(partitionOf(r.jobId, options.partitions)))
        .map((r) => r.queued!);
      if (after.length) leaderToFirstFire = Math.min(...after) - atMs;
    }
    // What the standbys did, from the scheduler nodes still up (a killed
    // node's counts are gone with it).
    const pages = await Promise.all(
      [...stack.procs.keys()].filter((name) => name.startsWith("s")).map(metricsPage),
    );
    const standby = (action: string) =>
      pages.reduce(
        (n, t) => n + metricValue(t, `chronoring_standby_runs_total{action="${action}"}`),
        0,
      );
    return {
      jobs: ids.length,
      window_s: windowSeconds(window),
      expected_runs: verdict.expected_runs,
      kills: faults.map((f) => `t=${f.atS}s ${f.what}`),
      duplicates: verdict.duplicates,
      duplicate_side_effects: verdict.duplicate_side_effects,
      side_effects_repeated_after_worker_loss: verdict.side_effects_repeated_after_worker_loss,
      missed: verdict.missed,
      missed_examples: verdict.missed_examples,
      requeued: verdict.requeued,
      requeued_unfinished: verdict.requeued_unfinished,
      leader_kill_to_first_fire_ms: leaderToFirstFire,
      lateness_ms: verdict.lateness_ms,
      start_lateness_ms: verdict.start_lateness_ms,
      first_start_lateness_ms: verdict.first_start_lateness_ms,
      // Start lateness p50/max by the runs' time in the window: when it fell behind.
      start_lateness_by_10s: latenessTimeline(rows, window),
      latest_runs: verdict.latest_runs,
      longest_gap_ms: summary(longestGaps(rows, ids)),
      side_effect_calls_unparsed: verdict.side_effect_calls_unparsed,
      // Extra sends the standbys made: each costs one SQS message, and a
      // claim one conditional write; every check one consistent read.
      standby_runs: {
        checked: standby("checked"),
        claimed: standby("claimed"),
        sent: standby("sent"),
        withheld: standby("withheld"),
      },
    };
  } finally {
    await stack.stop();
    await effect.close();
  }
}
