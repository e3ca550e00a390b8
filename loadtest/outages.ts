import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { metricValue } from "../deploy/local/chronoring-process.js";
import type { OwnedBackends } from "./harness/backends.js";
import { startDelayProxy } from "./harness/delay-proxy.js";
import { startEffectServer } from "./harness/effect-server.js";
import { createEverySecondJobs, type Fault, runFaults, windowSeconds } from "./harness/schedule.js";
import { type SocketBacklog, socketBacklog } from "./harness/socket-backlog.js";
import { createStack, type Stack } from "./harness/stack.js";
import { judge, latenessTimeline, recovery, settleExecutions } from "./harness/verdict.js";
import { summary } from "./stats.js";

export type OutageName = "dynamodb-freeze" | "sqs-restart-empty" | "etcd-down" | "slow-store";
export const OUTAGES: OutageName[] = [
  "dynamodb-freeze",
  "sqs-restart-empty",
  "etcd-down",
  "slow-store",
];

export interface OutageOptions {
  /** Schedules firing every second. */
  jobs: number;
  /** When the fault begins, s into the window. */
  faultAtS: number;
  /** How long it lasts, s (0: the scenario's own). */
  faultS: number;
  /** Window after the fault ends, s. */
  tailS: number;
  workers: number;
  schedulers: number;
  log: (line: string) => void;
}

/**
 * The settings a user gets, except what a benchmark on loopback must change:
 * no tokens, the effect server on 127.0.0.1 reachable, quieter logs.
 */
const SETTINGS = {
  CHRONORING_AUTH_MODE: "off",
  CHRONORING_TARGET_ALLOW: "127.0.0.1/32",
  CHRONORING_LOG_LEVEL: "warn",
};

interface Ctx {
  backends: OwnedBackends;
  stack: Stack;
  options: OutageOptions;
  /** Figures a fault records (e.g. the API's answer during a freeze). */
  notes: Record<string, unknown>;
}

interface Spec {
  defaultFaultS: number;
  /** Processes reach DynamoDB through a proxy that adds this much per chunk. */
  slowStoreMs?: number;
  faults(ctx: Ctx, faultS: number): Fault[];
}

const SPECS: Record<OutageName, Spec> = {
  "dynamodb-freeze": {
    defaultFaultS: 30,
    faults: ({ backends, stack, options, notes }, faultS) => [
      {
        atS: options.faultAtS,
        what: `SIGSTOP DynamoDB Local for ${faultS} s`,
        act: async () => {
          backends.dynamodb.signal("SIGSTOP");
          // One API call during the freeze: what a client is answered, and when.
          const t0 = Date.now();
          void stack
            .clients()
            .jobs.listJobs({ pageSize: 1 }, { timeoutMs: 120_000 })
            .then(
              () => ({ code: "OK" }),
              (e: unknown) => ({ code: Code[ConnectError.from(e).code] }),
            )
            .then((r) => {
              notes.api_call_during_freeze = { ...r, after_ms: Date.now() - t0 };
            });
        },
      },
      {
        atS: options.faultAtS + faultS,
        what: "SIGCONT DynamoDB Local",
        act: async () => {
          // What the frozen store has to work through before it reaches today's calls.
          const port = Number(new URL(backends.dynamodb.url).port);
          notes.store_backlog_at_sigcont = socketBacklog(port);
          backends.dynamodb.signal("SIGCONT");
          void watchBacklog(port).then((drain) => {
            notes.store_backlog_after_sigcont = drain;
          });
        },
      },
    ],
  },
  "sqs-restart-empty": {
    defaultFaultS: 1,
    faults: ({ backends, stack, options }) => [
      {
        // Runs are received within milliseconds of being sent: the worker is
        // paused first, so that the queue holds 5 s of runs when it dies.
        atS: options.faultAtS - 5,
        what: "SIGSTOP the worker(s) for 5 s (a backlog in the queue)",
        act: async () => {
          for (const w of workers(stack)) stack.signal(w, "SIGSTOP");
        },
      },
      {
        atS: options.faultAtS,
        what: "SIGKILL the SQS emulator, start it again empty on the same port, SIGCONT the worker(s)",
        act: async () => {
          await backends.sqs.kill();
          await backends.sqs.restart();
          for (const w of workers(stack)) stack.signal(w, "SIGCONT");
        },
      },
    ],
  },
  "etcd-down": {
    defaultFaultS: 20,
    faults: ({ backends, options }, faultS) => [
      {
        atS: options.faultAtS,
        what: `SIGKILL etcd for ${faultS} s`,
        act: () => backends.etcd.kill(),
      },
      {
        atS: options.faultAtS + faultS,
        what: "start etcd again (same data dir, same port)",
        act: () => backends.etcd.restart(),
      },
    ],
  },
  "slow-store": {
    defaultFaultS: 30,
    slowStoreMs: 200,
    faults: () => [],
  },
};

/**
 * Samples the store's socket backlog every 250 ms for up to `forMs` after
 * SIGCONT: when the requests held during the freeze were all read (none
 * left on a connection the client had given up on, at most 2 unread, none
 * unaccepted), and the backlog every 2 s until then.
 */
async function watchBacklog(port: number, forMs = 120_000) {
  const t0 = Date.now();
  const every2s: string[] = [];
  let abandonedReadMs: number | null = null;
  for (let i = 0; Date.now() - t0 < forMs; i++) {
    const b: SocketBacklog = socketBacklog(port);
    const atMs = Date.now() - t0;
    if (i % 8 === 0) {
      every2s.push(`+${Math.round(atMs / 1000)}s ${b.unread} unread (${b.abandoned} abandoned)`);
    }
    if (b.abandoned === 0) abandonedReadMs ??= atMs;
    if (b.abandoned === 0 && b.unread <= 2 && b.unaccepted === 0) {
      return { abandoned_read_ms: abandonedReadMs, drained_ms: atMs, every_2s: every2s };
    }
    await sleep(250);
  }
  return { abandoned_read_ms: abandonedReadMs, drained_ms: null, every_2s: every2s };
}

/**
 * The schedulers' claims refused by the store and runs the recovery sweep
 * sent again, summed over the scheduler processes (their metrics pages).
 */
async function schedulerCounters(stack: Stack) {
  let claimsLost = 0;
  let runsResent = 0;
  for (const [name, proc] of stack.procs) {
    if (!name.startsWith("s") || !proc.metricsUrl) continue;
    const page = await fetch(proc.metricsUrl, { signal: AbortSignal.timeout(5_000) })
      .then((r) => r.text())
      .catch(() => "");
    claimsLost += metricValue(page, "chronoring_claims_lost_total");
    runsResent += metricValue(page, "chronoring_runs_resent_total");
  }
  return { claims_lost: claimsLost, runs_resent_by_sweep: runsResent };
}

const workers = (stack: Stack) => [...stack.procs.keys()].filter((n) => n.startsWith("w"));

/** Runs one outage scenario on backends the benchmark owns and returns its figures. */
export async function outageScenario(
  name: OutageName,
  backends: OwnedBackends,
  options: OutageOptions,
) {
  const { log } = options;
  const spec = SPECS[name];
  const faultS = options.faultS || spec.defaultFaultS;
  log(`--- ${name} ---`);
  const prefix = `ou${randomBytes(3).toString("hex")}-`;
  const effect = await startEffectServer({ callMs: 100 });
  const proxy = spec.slowStoreMs
    ? await startDelayProxy(backends.endpoints.dynamodb, 0)
    : undefined;
  const endpoints = proxy ? { ...backends.endpoints, dynamodb: proxy.url } : backends.endpoints;
  const stack = createStack({ backends: endpoints, prefix, log, settings: SETTINGS });
  const notes: Record<string, unknown> = {};
  try {
    await stack.api();
    await Promise.all([
      ...Array.from({ length: options.schedulers }, (_, i) => stack.scheduler(`s${i + 1}`)),
      ...Array.from({ length: options.workers }, (_, i) => stack.worker(`w${i + 1}`)),
    ]);
    await stack.waitForCluster(options.schedulers);
    const durationS = options.faultAtS + faultS + options.tailS;
    const { ids, window } = await createEverySecondJobs(
      stack,
      { jobs: options.jobs, durationS, url: effect.url, name },
      log,
    );
    const ctx: Ctx = { backends, stack, options, notes };
    const faults = spec.slowStoreMs
      ? [
          {
            atS: options.faultAtS,
            what: `add ${spec.slowStoreMs} ms to every DynamoDB request for ${faultS} s`,
            act: async () => proxy!.setDelay(spec.slowStoreMs!),
          },
          {
            atS: options.faultAtS + faultS,
            what: "DynamoDB at full speed again",
            act: async () => proxy!.setDelay(0),
          },
        ]
      : spec.faults(ctx, faultS);
    const done = await runFaults(window, faults, log);
    await sleep(Math.max(0, window.endMs - Date.now()));
    log("window over; waiting for in-flight and recovered runs to settle");
    const rows = await settleExecutions(endpoints, prefix, window, ids.length, 90_000);
    const verdict = judge(rows, ids, window, effect.effects);
    const fault = { startMs: done[0]!.startMs, endMs: done.at(-1)!.doneMs };
    const during = rows.filter(
      (r) => r.scheduled >= fault.startMs && r.scheduled < fault.endMs && r.started !== undefined,
    );
    const crashed = stack.exited();
    const counters = await schedulerCounters(stack);
    return {
      scenario: name,
      jobs: ids.length,
      window_s: windowSeconds(window),
      faults: done.map((f) => `t=${f.atS}s ${f.what}`),
      missed: verdict.missed,
      missed_examples: verdict.missed_examples,
      duplicates: verdict.duplicates,
      duplicate_side_effects: verdict.duplicate_side_effects,
      crashed,
      recovery_started: recovery(rows, fault, "started"),
      recovery_sent: recovery(rows, fault, "queued"),
      lateness_ms: verdict.lateness_ms,
      start_lateness_ms: verdict.start_lateness_ms,
      start_lateness_during_fault_ms: summary(during.map((r) => r.started! - r.scheduled)),
      requeued: verdict.requeued,
      start_lateness_p50_max_by_10s: latenessTimeline(rows, window),
      ...counters,
      ...notes,
    };
  } finally {
    await stack.stop();
    await effect.close();
    await proxy?.close();
  }
}
