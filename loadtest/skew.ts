import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { partitionOf } from "../src/core/partition.js";
import { startEffectServer } from "./harness/effect-server.js";
import { createEverySecondJobs, windowSeconds } from "./harness/schedule.js";
import { createStack, type Endpoints, type ProcessEnv } from "./harness/stack.js";
import { judge, latenessTimeline, settleExecutions } from "./harness/verdict.js";
import { summary } from "./stats.js";

export interface SkewOptions {
  jobs: number;
  durationS: number;
  /** Skew of the fast node and (negated) of the slow one, s. */
  skewS: number;
  log: (line: string) => void;
}

const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/**
 * libfaketime preloaded into one node: its wall clock (Date.now) runs `offsetS`
 * off. The monotonic clock stays true, so timers and performance.now() are
 * not disturbed and only the wall clock disagrees, as with a drifted NTP.
 */
export function skewedClock(offsetS: number): ProcessEnv {
  return {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME: `${offsetS >= 0 ? "+" : ""}${offsetS}s`,
    DONT_FAKE_MONOTONIC: "1",
    FAKETIME_NO_CACHE: "1",
  };
}

/**
 * Three scheduler nodes, one on the true clock, one `skewS` ahead and one
 * `skewS` behind (libfaketime), an API and a worker on the true clock;
 * every-second schedules. Runs must stay once; lateness is measured by the
 * worker's true clock (started − scheduled), per node owning the run.
 */
export async function skewScenario(backends: Endpoints, options: SkewOptions) {
  const { log } = options;
  const prefix = `sk${randomBytes(3).toString("hex")}-`;
  const effect = await startEffectServer({ callMs: 100 });
  const stack = createStack({
    backends,
    prefix,
    log,
    settings: {
      CHRONORING_AUTH_MODE: "off",
      CHRONORING_TARGET_ALLOW: "127.0.0.1/32",
      CHRONORING_LOG_LEVEL: "warn",
    },
  });
  const skews: Record<string, number> = { s1: 0, s2: options.skewS, s3: -options.skewS };
  try {
    await stack.api();
    await Promise.all([
      ...Object.entries(skews).map(([name, s]) =>
        stack.scheduler(name, s === 0 ? {} : skewedClock(s)),
      ),
      stack.worker("w1"),
    ]);
    await stack.waitForCluster(3);
    const { ids, window } = await createEverySecondJobs(
      stack,
      { jobs: options.jobs, durationS: options.durationS, url: effect.url, name: "skew" },
      log,
    );
    await sleep(Math.max(0, window.endMs - Date.now()));
    log("window over; waiting for runs to settle");
    const view = await stack.clients().cluster.getCluster({});
    const owner = new Map(view.partitions.map((p) => [p.partition, p.nodeId]));
    const partitions = view.partitions.length;
    const rows = await settleExecutions(backends, prefix, window, ids.length);
    const verdict = judge(rows, ids, window, effect.effects);
    const byNode: Record<string, unknown> = {};
    for (const [node, skew] of Object.entries(skews)) {
      const mine = rows.filter(
        (r) => r.started !== undefined && owner.get(partitionOf(r.jobId, partitions)) === node,
      );
      const late = mine.map((r) => r.started! - r.scheduled);
      byNode[`${node} (${skew >= 0 ? "+" : ""}${skew} s)`] = {
        runs: mine.length,
        start_lateness_ms: { min: late.length ? Math.min(...late) : 0, ...summary(late) },
      };
    }
    return {
      jobs: ids.length,
      window_s: windowSeconds(window),
      skew_s: options.skewS,
      missed: verdict.missed,
      missed_examples: verdict.missed_examples,
      duplicates: verdict.duplicates,
      duplicate_side_effects: verdict.duplicate_side_effects,
      crashed: stack.exited(),
      start_lateness_ms: verdict.start_lateness_ms,
      by_node: byNode,
      start_lateness_p50_max_by_10s: latenessTimeline(rows, window),
    };
  } finally {
    await stack.stop();
    await effect.close();
  }
}
