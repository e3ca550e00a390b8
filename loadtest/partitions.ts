import { setTimeout as sleep } from "node:timers/promises";
import type { Host } from "../deploy/local/netns/hosts.js";
import { createEverySecondJobs } from "./harness/schedule.js";
import type { Endpoints } from "./harness/stack.js";
import { callLateness, judge, settleExecutions, type Verdict } from "./harness/verdict.js";
import { type PartitionStack, startPartitionStack } from "./partitions-stack.js";

/** The network faults, numbered as in issue 15 §1. */
export const SCENARIOS = [
  "etcd-cut",
  "store-cut",
  "etcd-leader-minority",
  "one-way",
  "heal-rejoin",
  "worker-store-cut",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface PartitionOptions {
  /** Schedules firing every second. */
  jobs: number;
  scenarios: ScenarioName[];
  /** Seconds per scenario: the fault starts 1 s in and lasts `faultS`; the rest is recovery. */
  slotS: number;
  faultS: number;
  partitions: number;
  callMs: number;
  log: (line: string) => void;
}

/** What each slot reports: the harness's verdict on that slot's runs. */
type SlotFigures = Pick<
  Verdict,
  | "expected_runs"
  | "missed"
  | "missed_examples"
  | "duplicates"
  | "duplicate_side_effects"
  | "lateness_ms"
  | "start_lateness_ms"
> & {
  /** Per run, its first call to the side-effect endpoint − scheduled. */
  call_lateness_ms: Verdict["lateness_ms"];
};

export interface ScenarioFigures extends SlotFigures {
  scenario: ScenarioName;
  fault: string;
  /** From the cut until the cut-off scheduler owned no partition (GetCluster), ms. */
  victim_released_ms: number | null;
  /** From the heal until it owned partitions again, ms. */
  victim_rejoined_ms: number | null;
}

interface Fault {
  what: string;
  /** The scheduler node whose partitions are watched, if the fault is about one. */
  victim?: string;
  apply(): Promise<void>;
}

/**
 * Runs each scenario in its own slot of one window of every-second schedules
 * on a stack of 3 etcd members, 3 schedulers and 2 workers, each on its own
 * test host, and reads back per slot: missed runs, duplicates and lateness.
 */
export async function partitionScenarios(
  backends: Omit<Endpoints, "etcd">,
  options: PartitionOptions,
): Promise<ScenarioFigures[]> {
  const { log } = options;
  const stack = await startPartitionStack(backends, options);
  try {
    await Promise.all(["s1", "s2", "s3", "w1", "w2"].map((n) => stack.startNode(n)));
    log(`stack up: etcd ${stack.etcd.endpoints}; logs in ${stack.stack.logDir}`);
    const { cluster: clusterApi } = stack.stack.clients();
    const owners = async () => {
      const view = await clusterApi.getCluster({}, { timeoutMs: 2_000 });
      return { leader: view.leaderId, nodes: new Set(view.partitions.map((p) => p.nodeId)) };
    };
    const steady = async () => {
      for (let i = 0; ; i++) {
        const view = await owners().catch(() => undefined);
        if (view?.leader && view.nodes.size === 3) return view;
        if (i > 300) throw new Error("the cluster did not settle on 3 scheduler nodes");
        await sleep(200);
      }
    };
    await steady();

    const slotMs = options.slotS * 1000;
    const {
      ids,
      window: { startMs: judgedStart, endMs: windowEnd },
      scheduledFromMs: windowStart,
    } = await createEverySecondJobs(
      stack.stack,
      {
        jobs: options.jobs,
        durationS: options.scenarios.length * options.slotS,
        url: stack.effect.url,
        name: "partition",
      },
      log,
    );
    log(`${options.scenarios.length} slots of ${options.slotS} s`);

    const results: Array<Omit<ScenarioFigures, keyof SlotFigures>> = [];
    for (const [index, scenario] of options.scenarios.entries()) {
      const slotStart = windowStart + index * slotMs;
      await sleep(Math.max(0, slotStart + 1000 - Date.now()));
      const view = await steady();
      const fault = await faultFor(scenario, stack, view.leader, options.callMs);
      const cutAt = Date.now();
      await fault.apply();
      log(`t=${Math.round((cutAt - windowStart) / 1000)}s ${scenario}: ${fault.what}`);
      let released: number | null = null;
      let rejoined: number | null = null;
      let healAt = 0;
      const healDue = cutAt + options.faultS * 1000;
      while (Date.now() < slotStart + slotMs - 500) {
        if (!healAt && Date.now() >= healDue) {
          await stack.net.healAll();
          healAt = Date.now();
          log(`t=${Math.round((healAt - windowStart) / 1000)}s healed`);
        }
        if (fault.victim) {
          const now = await owners().catch(() => undefined);
          const owns = now?.nodes.has(fault.victim);
          if (owns === false && released === null) released = Date.now() - cutAt;
          if (owns && healAt && released !== null && rejoined === null)
            rejoined = Date.now() - healAt;
        }
        await sleep(250);
      }
      if (!healAt) await stack.net.healAll();
      results.push({
        scenario,
        fault: fault.what,
        victim_released_ms: released,
        victim_rejoined_ms: rejoined,
      });
    }
    log("window over; reading back");
    const rows = await settleExecutions(
      stack.endpoints,
      stack.prefix,
      { startMs: judgedStart, endMs: windowEnd },
      ids.length,
    );
    const figures = options.scenarios.map((_, i): SlotFigures => {
      const slot = {
        startMs: Math.max(judgedStart, windowStart + i * slotMs),
        endMs: windowStart + (i + 1) * slotMs,
      };
      const slotRows = rows.filter((r) => r.scheduled >= slot.startMs && r.scheduled < slot.endMs);
      const v = judge(slotRows, ids, slot, stack.effect.effects);
      return {
        expected_runs: v.expected_runs,
        missed: v.missed,
        missed_examples: v.missed_examples,
        duplicates: v.duplicates,
        duplicate_side_effects: v.duplicate_side_effects,
        lateness_ms: v.lateness_ms,
        start_lateness_ms: v.start_lateness_ms,
        call_lateness_ms: callLateness(stack.effect.firstCalls, slot),
      };
    });
    return results.map((r, i) => ({ ...r, ...figures[i]! }));
  } finally {
    await stack.close();
  }
}

async function faultFor(
  scenario: ScenarioName,
  stack: PartitionStack,
  leaderNode: string,
  callMs: number,
): Promise<Fault> {
  const { net, etcd } = stack;
  const host = (name: string): Host => stack.hosts.get(name)!;
  const follower = ["s1", "s2", "s3"].find((n) => n !== leaderNode)!;
  const fromEtcd = async (name: string) => {
    for (const m of etcd.members) await net.cut(host(name), m.host);
  };
  const fromStore = (name: string) => net.cut(host(name), net.gateway, { port: stack.dynamoPort });
  switch (scenario) {
    case "etcd-cut":
      return {
        what: `scheduler leader ${leaderNode} cut off from all etcd members (DynamoDB reachable)`,
        victim: leaderNode,
        apply: () => fromEtcd(leaderNode),
      };
    case "store-cut":
      return {
        what: `scheduler ${follower} cut off from DynamoDB (etcd reachable)`,
        victim: follower,
        apply: () => fromStore(follower),
      };
    case "etcd-leader-minority": {
      const leader = await etcd.waitForLeader();
      return {
        what: `etcd leader ${leader.name} cut off from the other two members`,
        apply: async () => {
          for (const m of etcd.members) if (m !== leader) await net.cut(leader.host, m.host);
        },
      };
    }
    case "one-way":
      return {
        what: `scheduler ${follower} hears etcd, etcd does not hear it`,
        victim: follower,
        apply: async () => {
          for (const m of etcd.members) await net.cutOneWay(host(follower), m.host);
        },
      };
    case "heal-rejoin":
      return {
        what: `scheduler ${follower} cut off from everything, then healed`,
        victim: follower,
        apply: async () => {
          await fromEtcd(follower);
          await net.cut(host(follower), net.gateway);
        },
      };
    case "worker-store-cut":
      return {
        what: "worker w1 cut off from DynamoDB while running calls",
        apply: async () => {
          // Runs go out on the second: a little later they are executing.
          const second = Math.ceil(Date.now() / 1000) * 1000;
          await sleep(second - Date.now() + callMs / 2);
          await fromStore("w1");
        },
      };
  }
}
