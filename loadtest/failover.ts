import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from "@aws-sdk/client-dynamodb";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { freePort } from "../deploy/local/backends.js";
import { type ChronoringProcess, startChronoring } from "../deploy/local/chronoring-process.js";
import { ClusterService } from "../gen/chronoring/v1/cluster_service_pb.js";
import { JobService } from "../gen/chronoring/v1/job_service_pb.js";
import { parseExecutionId } from "../src/core/execution.js";
import { round, summary } from "./stats.js";

export interface FailoverOptions {
  /** Schedules firing every second. */
  jobs: number;
  /** Length of the observed window, s (the faults are spread over it). */
  durationS: number;
  partitions: number;
  /** How long each side-effect call takes, ms (runs are in flight when a worker dies). */
  callMs: number;
  log: (line: string) => void;
}

export interface Endpoints {
  etcd: string;
  dynamodb: string;
  sqs: string;
  region: string;
}

interface Fault {
  atS: number;
  what: string;
  doneMs?: number;
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
  const logDir = mkdtempSync(join(tmpdir(), "chronoring-failover-"));
  const effects = new Map<string, number>();
  const effectServer: Server = createServer((req, res) => {
    const id = String(req.headers["chronoring-execution-id"] ?? "");
    req.resume();
    res.on("finish", () => effects.set(id, (effects.get(id) ?? 0) + 1));
    setTimeout(() => res.end("ok"), options.callMs);
  });
  await new Promise<void>((r) => effectServer.listen(0, "127.0.0.1", r));
  const effectUrl = `http://127.0.0.1:${(effectServer.address() as AddressInfo).port}/fire`;

  const common = {
    CHRONORING_DYNAMODB_ENDPOINT: backends.dynamodb,
    CHRONORING_SQS_ENDPOINT: backends.sqs,
    CHRONORING_ETCD_ENDPOINTS: backends.etcd,
    CHRONORING_AWS_REGION: backends.region,
    CHRONORING_TABLE_PREFIX: prefix,
    CHRONORING_QUEUE_PREFIX: prefix,
    CHRONORING_ETCD_PREFIX: `/${prefix}/`,
    CHRONORING_PARTITIONS: String(options.partitions),
    CHRONORING_SESSION_TTL_MS: "2000",
    CHRONORING_LOOKAHEAD_MS: "1000",
    CHRONORING_POLL_INTERVAL_MS: "500",
    CHRONORING_START_TIMEOUT_MS: "4000",
    CHRONORING_SWEEP_INTERVAL_MS: "1000",
    CHRONORING_FAILOVER_INTERVAL_MS: "1000",
    CHRONORING_VISIBILITY_TIMEOUT_S: "10",
    CHRONORING_LOG_LEVEL: "warn",
    // The jobs call the effect server on loopback, which targets may not reach by default.
    CHRONORING_TARGET_ALLOW: "127.0.0.1/32",
    // The bench measures failover, not token checks; its clients call without tokens.
    CHRONORING_AUTH_MODE: "off",
  };
  const procs = new Map<string, ChronoringProcess>();
  const start = async (name: string, env: Record<string, string>) => {
    procs.set(name, await startChronoring({ name, logDir, env: { ...common, ...env } }));
  };
  const scheduler = async (name: string) =>
    start(name, {
      CHRONORING_ROLES: "scheduler",
      CHRONORING_NODE_ID: name,
      CHRONORING_METRICS_PORT: String(await freePort()),
    });
  const worker = async (name: string) =>
    start(name, {
      CHRONORING_ROLES: "worker",
      CHRONORING_WORKER_ID: name,
      CHRONORING_WORKER_CONCURRENCY: "64",
      CHRONORING_METRICS_PORT: String(await freePort()),
    });

  try {
    await start("api", { CHRONORING_ROLES: "api", CHRONORING_API_PORT: String(await freePort()) });
    await Promise.all([
      scheduler("s1"),
      scheduler("s2"),
      scheduler("s3"),
      worker("w1"),
      worker("w2"),
    ]);
    log(`processes up (logs in ${logDir})`);
    const transport = createGrpcTransport({ baseUrl: procs.get("api")!.apiUrl! });
    const jobsApi = createClient(JobService, transport);
    const clusterApi = createClient(ClusterService, transport);
    const cluster = async () => clusterApi.getCluster({});
    for (let view = await cluster(); ; view = await cluster()) {
      const nodes = new Set(view.partitions.map((p) => p.nodeId));
      if (view.leaderId && nodes.size === 3) break;
      await sleep(200);
    }

    const ids: string[] = [];
    // The window starts once every job exists; each schedule ends with it, so
    // that the runs still queued at its end complete instead of being cancelled.
    const windowStart = Math.ceil((Date.now() + options.jobs * 15) / 1000) * 1000 + 3000;
    const windowEnd = windowStart + options.durationS * 1000;
    for (let i = 0; i < options.jobs; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, options.jobs - i) }, (_, k) =>
          jobsApi.createJob({
            name: `failover ${i + k}`,
            owner: "failover",
            schedule: {
              kind: { case: "cron", value: "* * * * * *" },
              startTime: timestampFromMs(windowStart),
              endTime: timestampFromMs(windowEnd - 1),
            },
            target: { kind: { case: "http", value: { method: "POST", url: effectUrl } } },
          }),
        ),
      );
      ids.push(...batch.map((r) => r.job!.id));
    }
    if (Date.now() > windowStart - 1000) log("warning: creating the jobs ran into the window");
    log(`${ids.length} jobs firing every second; window of ${options.durationS} s begins`);

    const d = options.durationS;
    const faults: Fault[] = [];
    let leaderKill: { atMs: number; partitions: Set<number> } | undefined;
    const at = async (fraction: number, what: string, act: () => Promise<void>) => {
      const when = windowStart + Math.round(fraction * d) * 1000;
      await sleep(Math.max(0, when - Date.now()));
      const fault: Fault = { atS: round((Date.now() - windowStart) / 1000), what };
      await act();
      fault.doneMs = Date.now();
      faults.push(fault);
      log(`t=${fault.atS}s ${what}`);
    };
    const kill = (name: string, signal: NodeJS.Signals) =>
      process.kill(procs.get(name)!.process.pid, signal);

    await at(0.15, "SIGKILL the leader", async () => {
      const view = await cluster();
      const leader = view.leaderId;
      leaderKill = {
        atMs: Date.now(),
        partitions: new Set(
          view.partitions.filter((p) => p.nodeId === leader).map((p) => p.partition),
        ),
      };
      kill(leader, "SIGKILL");
      procs.delete(leader);
    });
    await at(0.3, "SIGKILL a non-leader scheduler", async () => {
      const view = await cluster();
      const victim = [...procs.keys()].find((n) => n.startsWith("s") && n !== view.leaderId)!;
      kill(victim, "SIGKILL");
      procs.delete(victim);
    });
    await at(0.4, "add two scheduler nodes", async () => {
      await Promise.all([scheduler("s4"), scheduler("s5")]);
    });
    let stopped = "";
    await at(0.55, "SIGSTOP a scheduler past its lease TTL (2 s)", async () => {
      const view = await cluster();
      stopped = [...procs.keys()].find((n) => n.startsWith("s") && n !== view.leaderId)!;
      kill(stopped, "SIGSTOP");
    });
    await at(0.65, "SIGCONT it", async () => {
      kill(stopped, "SIGCONT");
    });
    await at(0.75, "SIGKILL a worker in the middle of runs", async () => {
      // Runs go out on the second: a little later they are executing.
      await sleep(options.callMs / 2);
      kill("w1", "SIGKILL");
      procs.delete("w1");
    });
    await sleep(Math.max(0, windowEnd - Date.now()));
    log("window over; waiting for in-flight and recovered runs to settle");

    // Read back everything stored.
    const dynamo = new DynamoDBClient({
      endpoint: backends.dynamodb,
      region: backends.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    type Row = {
      jobId: string;
      scheduled: number;
      attempt: number;
      st: string;
      queued?: number;
      started?: number;
    };
    const scan = async (): Promise<Row[]> => {
      const rows: Row[] = [];
      let key: ScanCommandOutput["LastEvaluatedKey"];
      do {
        const out: ScanCommandOutput = await dynamo.send(
          new ScanCommand({ TableName: `${prefix}executions`, ExclusiveStartKey: key }),
        );
        for (const item of out.Items ?? []) {
          rows.push({
            jobId: item.job_id!.S!,
            scheduled: Number(item.sched_ms!.N),
            attempt: Number(item.attempt!.N),
            st: item.st!.S!,
            ...(item.queued?.N ? { queued: Number(item.queued.N) } : {}),
            ...(item.started?.N ? { started: Number(item.started.N) } : {}),
          });
        }
        key = out.LastEvaluatedKey;
      } while (key);
      return rows.filter((r) => r.scheduled >= windowStart && r.scheduled < windowEnd);
    };
    let rows = await scan();
    const settleUntil = Date.now() + 60_000;
    while (Date.now() < settleUntil) {
      const unsettled = rows.filter((r) => r.st === "RUNNING" || r.st === "QUEUED").length;
      const succeededRuns = new Set(
        rows.filter((r) => r.st === "SUCCEEDED").map((r) => `${r.jobId}:${r.scheduled}`),
      );
      if (unsettled === 0 && succeededRuns.size >= ids.length * d) break;
      await sleep(1000);
      rows = await scan();
    }

    const byRun = new Map<string, Row[]>();
    for (const r of rows) {
      const key = `${r.jobId}:${r.scheduled}`;
      byRun.set(key, [...(byRun.get(key) ?? []), r]);
    }
    let missed = 0;
    let duplicates = 0;
    let duplicateEffects = 0;
    let repeatedAfterLoss = 0;
    const missedRuns: string[] = [];
    for (const id of ids) {
      for (let t = windowStart; t < windowEnd; t += 1000) {
        const attempts = byRun.get(`${id}:${t}`) ?? [];
        const ok = attempts.filter((a) => a.st === "SUCCEEDED").length;
        if (ok === 0) {
          missed++;
          if (missedRuns.length < 10) missedRuns.push(`${id}:${t}`);
        }
        duplicates += Math.max(0, ok - 1);
        // An execution (one attempt) must call the endpoint at most once. A
        // worker killed after its call completed but before it recorded the
        // outcome leaves a call by the lost attempt and one by the re-queued
        // attempt: at-least-once across a worker's death, counted apart.
        for (const a of attempts) {
          duplicateEffects += Math.max(0, (effects.get(`${id}:${t}:${a.attempt}`) ?? 0) - 1);
        }
        const attemptsCalling = attempts.filter((a) => effects.has(`${id}:${t}:${a.attempt}`));
        if (attemptsCalling.length > 1) repeatedAfterLoss++;
      }
    }
    const requeued = rows.filter((r) => r.attempt > 1);
    const requeuedUnfinished = requeued.filter(
      (r) => r.st !== "SUCCEEDED" && r.st !== "FAILED",
    ).length;
    const firstAttempts = rows.filter((r) => r.attempt === 1 && r.queued !== undefined);
    const lateness = firstAttempts.map((r) => r.queued! - r.scheduled);
    const latest = [...firstAttempts]
      .sort((a, b) => b.queued! - b.scheduled - (a.queued! - a.scheduled))
      .slice(0, 3)
      .map(
        (r) =>
          `${r.jobId}:${r.scheduled} sent +${r.queued! - r.scheduled} ms (t=${round((r.scheduled - windowStart) / 1000)}s)`,
      );
    let leaderToFirstFire: number | null = null;
    if (leaderKill) {
      const { atMs, partitions } = leaderKill;
      const { partitionOf } = await import("../src/core/partition.js");
      const after = firstAttempts
        .filter((r) => r.queued! > atMs && partitions.has(partitionOf(r.jobId, options.partitions)))
        .map((r) => r.queued!);
      if (after.length) leaderToFirstFire = Math.min(...after) - atMs;
    }
    const gaps: number[] = [];
    for (const id of ids) {
      const starts = rows
        .filter((r) => r.jobId === id && r.st === "SUCCEEDED" && r.started !== undefined)
        .map((r) => r.started!)
        .sort((a, b) => a - b);
      let longest = 0;
      for (let i = 1; i < starts.length; i++)
        longest = Math.max(longest, starts[i]! - starts[i - 1]!);
      gaps.push(longest);
    }
    const unparsed = [...effects.keys()].filter((k) => !parseExecutionId(k)).length;
    return {
      jobs: ids.length,
      window_s: d,
      expected_runs: ids.length * d,
      kills: faults.map((f) => `t=${f.atS}s ${f.what}`),
      duplicates,
      duplicate_side_effects: duplicateEffects,
      side_effects_repeated_after_worker_loss: repeatedAfterLoss,
      missed,
      missed_examples: missedRuns,
      requeued: requeued.length,
      requeued_unfinished: requeuedUnfinished,
      leader_kill_to_first_fire_ms: leaderToFirstFire,
      lateness_ms: summary(lateness),
      latest_runs: latest,
      longest_gap_ms: summary(gaps),
      side_effect_calls_unparsed: unparsed,
    };
  } finally {
    await Promise.all([...procs.values()].map((p) => p.process.stop().catch(() => {})));
    await new Promise((r) => effectServer.close(r));
  }
}
