import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { metricValue } from "../deploy/local/chronoring-process.js";
import { inOrder } from "../src/core/in-order.js";
import { startEffectServer } from "./harness/effect-server.js";
import { createStack, type Endpoints, type Stack } from "./harness/stack.js";
import { localAuth } from "./harness/tokens.js";
import { judge, settleExecutions } from "./harness/verdict.js";
import { round, summary } from "./stats.js";

export interface TenantsOptions {
  /** One-time jobs of the busy tenant A, all due at the same instant T. */
  aJobs: number;
  /** One-time jobs of the quiet tenant B, due at T too. */
  bJobs: number;
  /** How long the HTTP endpoint takes to answer each run, ms. */
  callMs: number;
  /** CreateJob calls in flight at once. */
  createConcurrency: number;
  /** Time allowed per job to create them all before T, ms (T is planned from it). */
  createMsPerJob: number;
  /** A's max_concurrent_runs in the third case; 0: no third case. */
  aMaxConcurrent: number;
  log: (line: string) => void;
}

const TENANT_A = "tenant-a";
const TENANT_B = "tenant-b";
/** Re-sends of runs held by a tenant quota. */
const HELD = "chronoring_runs_held_total";
/** Runs held by a tenant's concurrency and parked in a worker's intake (no re-send). */
const PARKED = "chronoring_runs_parked_total";

/**
 * Fairness between tenants on real processes (1 API, 2 scheduler nodes, 2
 * workers) on the default settings: auth on with a local key and one token
 * per tenant. Each case creates its jobs well before one instant T and
 * reads back when each run was sent and started: B alone (the baseline),
 * A's burst and B together, and optionally the same with A's concurrency
 * capped through TenantService.
 */
export async function tenantsScenario(backends: Endpoints, options: TenantsOptions) {
  const { log } = options;
  const prefix = `tn${randomBytes(3).toString("hex")}-`;
  const auth = await localAuth();
  const effect = await startEffectServer({ callMs: options.callMs });
  const stack = createStack({
    backends,
    prefix,
    log,
    settings: {
      ...auth.settings,
      CHRONORING_TARGET_ALLOW: "127.0.0.1/32",
      CHRONORING_LOG_LEVEL: "warn",
    },
  });
  try {
    await stack.api();
    stack.useToken(await auth.mint("default", ["admin"]));
    await Promise.all([
      stack.scheduler("s1"),
      stack.scheduler("s2"),
      stack.worker("w1"),
      stack.worker("w2"),
    ]);
    await stack.waitForCluster(2);
    log("1 api, 2 scheduler nodes, 2 workers (the default worker concurrency each)");
    const tokens = {
      a: await auth.mint(TENANT_A, ["editor"]),
      b: await auth.mint(TENANT_B, ["editor"]),
    };
    const run = (name: string, aJobs: number) =>
      runCase(stack, backends, prefix, effect, tokens, { ...options, aJobs }, name);
    const bAlone = await run("b_alone", 0);
    const together = await run("together", options.aJobs);
    let aCapped: CaseResult | undefined;
    if (options.aMaxConcurrent > 0) {
      await stack.clients().tenants.updateTenantQuota({
        tenant: TENANT_A,
        quotas: { maxConcurrentRuns: BigInt(options.aMaxConcurrent) },
        updateMask: { paths: ["max_concurrent_runs"] },
      });
      log(`${TENANT_A}: max_concurrent_runs ${options.aMaxConcurrent} (TenantService)`);
      // Workers read a tenant's quotas at most once every 10 s.
      await sleep(10_500);
      aCapped = await run(`a_max_concurrent_${options.aMaxConcurrent}`, options.aJobs);
    }
    const ratio = (k: "p50" | "p99" | "max") =>
      round(together.b_start_lateness_ms[k] / Math.max(1, bAlone.b_start_lateness_ms[k]), 2);
    return {
      processes: "1 api, 2 schedulers, 2 workers",
      a_jobs: options.aJobs,
      b_jobs: options.bJobs,
      call_ms: options.callMs,
      b_alone: bAlone,
      together,
      ...(aCapped ? { a_capped: aCapped } : {}),
      b_start_lateness_ratio_together_vs_alone: {
        p50: ratio("p50"),
        p99: ratio("p99"),
        max: ratio("max"),
      },
      crashed: stack.exited(),
    };
  } finally {
    await stack.stop();
    await effect.close();
  }
}

type CaseResult = Awaited<ReturnType<typeof runCase>>;

async function runCase(
  stack: Stack,
  backends: Endpoints,
  prefix: string,
  effect: Awaited<ReturnType<typeof startEffectServer>>,
  tokens: { a: string; b: string },
  options: TenantsOptions,
  name: string,
) {
  const { log } = options;
  const total = options.aJobs + options.bJobs;
  const t = Math.ceil((Date.now() + total * options.createMsPerJob + 5000) / 1000) * 1000;
  log(`--- ${name}: ${options.aJobs} jobs of A and ${options.bJobs} of B due at T ---`);
  const createStart = Date.now();
  // B's jobs first: the order of creation is not what is measured.
  const plan = [
    ...Array.from({ length: options.bJobs }, (_, i) => ({ tenant: "b" as const, i })),
    ...Array.from({ length: options.aJobs }, (_, i) => ({ tenant: "a" as const, i })),
  ];
  const ids = { a: [] as string[], b: [] as string[] };
  const clients = { a: stack.clients(tokens.a).jobs, b: stack.clients(tokens.b).jobs };
  // Created through BatchCreateJobs, up to 1,000 a call, `create-concurrency` calls at once.
  const batches = (["b", "a"] as const).flatMap((tenant) => {
    const mine = plan.filter((p) => p.tenant === tenant);
    return Array.from({ length: Math.ceil(mine.length / 1000) }, (_, k) => ({
      tenant,
      items: mine.slice(k * 1000, (k + 1) * 1000),
    }));
  });
  await inOrder(batches, options.createConcurrency, async ({ tenant, items }) => {
    const { results } = await clients[tenant].batchCreateJobs({
      jobs: items.map(({ i }) => ({
        name: `${name} ${tenant} ${i}`,
        owner: `bench-${tenant}`,
        schedule: { kind: { case: "at", value: timestampFromMs(t) } },
        target: { kind: { case: "http", value: { method: "POST", url: effect.url } } },
      })),
    });
    for (const r of results) {
      if (!r.jobId) throw new Error(`tenant ${tenant}: item ${r.index} refused: ${r.message}`);
      ids[tenant].push(r.jobId);
    }
  });
  const createdMs = Date.now();
  const slackMs = t - createdMs;
  log(`created ${total} jobs in ${createdMs - createStart} ms; T in ${slackMs} ms`);
  if (slackMs < 1000) log("warning: creating the jobs ran into T (raise --create-ms)");
  const heldBefore = await workerSum(stack, HELD);
  const parkedBefore = await workerSum(stack, PARKED);
  const window = { startMs: t, endMs: t + 1000 };
  await sleep(Math.max(0, t - Date.now()));
  const rows = await settleExecutions(backends, prefix, window, total, 300_000);
  const all = [...ids.a, ...ids.b];
  const verdict = judge(rows, all, window, effect.effects);
  const of = (set: Set<string>) =>
    rows.filter((r) => set.has(r.jobId) && r.st === "SUCCEEDED" && r.started !== undefined);
  const aRows = of(new Set(ids.a));
  const bRows = of(new Set(ids.b));
  const sentA = rows.filter((r) => ids.a.includes(r.jobId) && r.queued !== undefined);
  // Where B's runs were among all starts: low ranks started late mean slow
  // starts; high ranks mean they were taken from the queue behind A's.
  const order = [...aRows, ...bRows].sort((x, y) => x.started! - y.started!);
  const bIds = new Set(ids.b);
  const bRanks = order.flatMap((r, i) => (bIds.has(r.jobId) ? [i + 1] : []));
  const result = {
    create_ms: createdMs - createStart,
    create_slack_ms: slackMs,
    b_start_lateness_ms: summary(bRows.map((r) => r.started! - r.scheduled)),
    b_sent_lateness_ms: summary(
      rows.filter((r) => ids.b.includes(r.jobId) && r.queued).map((r) => r.queued! - r.scheduled),
    ),
    ...(options.aJobs > 0
      ? {
          b_start_rank: summary(bRanks),
          a_drain_ms: Math.max(0, ...aRows.map((r) => r.started! - t)),
          a_last_sent_ms: Math.max(0, ...sentA.map((r) => r.queued! - t)),
          a_start_lateness_ms: summary(aRows.map((r) => r.started! - r.scheduled)),
        }
      : {}),
    missed: verdict.missed,
    missed_examples: verdict.missed_examples,
    duplicates: verdict.duplicates,
    duplicate_side_effects: verdict.duplicate_side_effects,
    requeued: verdict.requeued,
    held: (await workerSum(stack, HELD)) - heldBefore,
    parked: (await workerSum(stack, PARKED)) - parkedBefore,
  };
  log(`${name}: ${JSON.stringify(result)}`);
  return result;
}

/** A counter summed over the workers (every label). */
async function workerSum(stack: Stack, metric: string): Promise<number> {
  let total = 0;
  for (const [name, proc] of stack.procs) {
    if (!name.startsWith("w") || !proc.metricsUrl) continue;
    total += metricValue(await (await fetch(proc.metricsUrl)).text(), metric);
  }
  return total;
}
