/**
 * The dashboard and the alert rules against a real Prometheus (Debian's
 * package, on a free port with a temp data directory) scraping a running
 * Chronoring every second: api, scheduler and worker in cluster mode on the
 * test backends, DynamoDB behind a proxy that can throttle. While jobs fire,
 * the test makes the data that only faults make: a job that fails into the
 * dead state (after a retry), a misfire (a job found five minutes late under
 * SKIP), throttled store calls and API calls that fail. Then every query of
 * every dashboard panel must return data, and every alert rule must evaluate
 * without error (its result may be empty: nothing is wrong enough).
 *
 * No expression here needs `or vector(0)`: counters whose labels are known
 * up front (missed runs per policy, scheduler errors per loop) are reported
 * from 0, and the rest get real data from the faults above.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig, testStores, untilOwning } from "../../support/app.js";
import { testBackends } from "../../support/backends.js";
import { jobClient } from "../../support/client.js";
import { type FlakyServer, startFlakyServer } from "../../support/flaky-server.js";
import { makeJob } from "../../support/jobs.js";
import { REPO_ROOT, repoFile } from "../../support/metric-names.js";
import { startPrometheus, type TestPrometheus } from "../../support/prometheus.js";
import { startThrottlingProxy, type ThrottlingProxy } from "../../support/throttling-proxy.js";
import { waitFor } from "../../support/wait.js";

const SCRAPE_INTERVAL_S = 1;
/** What Grafana's $__rate_interval becomes here: several 1 s scrapes. */
const RATE_INTERVAL = "10s";
const noop = { kind: { case: "noop" as const, value: {} } };

interface DashboardQuery {
  panel: string;
  expr: string;
}

function dashboardQueries(): DashboardQuery[] {
  const dashboard = JSON.parse(repoFile("deploy/grafana/chronoring.json")) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  };
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      expr: t.expr.replaceAll("$__rate_interval", RATE_INTERVAL),
    })),
  );
}

describe("the dashboard and the alert rules on a real Prometheus", () => {
  let proxy: ThrottlingProxy;
  let flaky: FlakyServer;
  let config: Config;
  let app: App;
  let prometheus: TestPrometheus;

  beforeAll(async () => {
    proxy = await startThrottlingProxy(testBackends().dynamodb);
    flaky = await startFlakyServer();
    config = testConfig("prometheus", { DYNAMODB_ENDPOINT: proxy.url });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    prometheus = await startPrometheus({
      targets: [new URL(app.apiUrl!).host],
      scrapeIntervalS: SCRAPE_INTERVAL_S,
      ruleFiles: [`${REPO_ROOT}deploy/prometheus/alerts.yml`],
    });
    const jobs = jobClient(app.apiUrl!);
    await jobs.createJob({
      name: "every second",
      owner: "observability",
      schedule: { kind: { case: "interval", value: "1s" } },
      target: noop,
    });
    // Fails every time: one retry, then dead; again every 2 s.
    await jobs.createJob({
      name: "always failing",
      owner: "observability",
      schedule: { kind: { case: "interval", value: "2s" } },
      target: { kind: { case: "http", value: { url: flaky.url("dead", 1_000_000, 500) } } },
      retryPolicy: {
        strategy: RetryStrategy.ALWAYS,
        maxRetries: 1,
        retryDelay: durationFromMs(200),
      },
    });
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await app?.close();
    await flaky?.close();
    await proxy?.close();
  });

  it("returns data for every query of every dashboard panel", async () => {
    // Let Prometheus see the counters at their starting values first: a fault
    // then shows as an increase.
    await waitFor("a few scrapes", async () => {
      const [up] = await prometheus.query("count_over_time(up[1m])");
      return Number(up?.value[1] ?? 0) >= 3 || undefined;
    });

    // A misfire: an every-second job whose next run is five minutes old, under
    // SKIP, written to the store as if the cluster had been down since.
    const stores = await testStores({
      ...config,
      aws: { ...config.aws, dynamodbEndpoint: testBackends().dynamodb },
    });
    const late = Math.floor(Date.now() / 1000) * 1000 - 5 * 60_000;
    await stores.jobs.createJob(
      makeJob(config.store.partitions, {
        schedule: {
          kind: "interval",
          source: "1s",
          periodMs: 1000,
          anchorMs: 0,
          misfire: { mode: "SKIP", maxCatchUp: 10, windowMs: 3_600_000, thresholdMs: 60_000 },
        },
        nextRunMs: late,
      }),
    );
    stores.client.destroy();
    // Store throttles: the SDK retries them away, the middleware counts them.
    proxy.throttle(3);
    // API errors: unknown jobs are NotFound.
    const jobs = jobClient(app.apiUrl!);
    for (let i = 0; i < 3; i++) {
      await expect(jobs.getJob({ id: `job_${"z".repeat(26)}` })).rejects.toThrow();
    }

    const faults = {
      dead: "sum(chronoring_runs_dead_total)",
      retries: "sum(chronoring_retries_scheduled_total)",
      missed: 'sum(chronoring_runs_missed_total{policy="SKIP"})',
      throttles: "sum(chronoring_store_throttles_total)",
      "API errors": 'sum(chronoring_rpc_duration_seconds_count{code="not_found"})',
    };
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    let empty: DashboardQuery[] = [];
    let missing: string[] = [];
    await waitFor(
      "every dashboard query to return data, and the faults to show",
      async () => {
        empty = [];
        for (const q of queries) {
          if ((await prometheus.query(q.expr)).length === 0) empty.push(q);
        }
        missing = [];
        for (const [name, expr] of Object.entries(faults)) {
          const [sample] = await prometheus.query(expr);
          if (!(Number(sample?.value[1] ?? 0) > 0)) missing.push(name);
        }
        return empty.length === 0 && missing.length === 0 ? true : undefined;
      },
      45_000,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}\nempty: ${JSON.stringify(empty, null, 1)}\nno data yet: ${missing.join(", ")}\n${prometheus.log()}`,
      );
    });
    // Each throttled answer on the wire counted once, though the SDK retried it away.
    expect(proxy.throttled).toBe(3);
    const throttles = await app.registry.getSingleMetric("chronoring_store_throttles_total")?.get();
    expect(throttles?.values.reduce((n, v) => n + v.value, 0)).toBe(3);
  }, 90_000);

  it("evaluates every alert rule without error, and runs each expression", async () => {
    const names = [...repoFile("deploy/prometheus/alerts.yml").matchAll(/- alert: (\w+)/g)].map(
      (m) => m[1],
    );
    const rules = await waitFor(
      "Prometheus to evaluate the alert rules",
      async () => {
        const all = await prometheus.alertRules();
        return all.length === names.length && all.every((r) => r.health !== "unknown")
          ? all
          : undefined;
      },
      30_000,
    );
    expect(rules.map((r) => r.name).sort()).toEqual([...names].sort());
    for (const rule of rules) {
      expect(rule.health, `${rule.name}: ${rule.lastError}`).toBe("ok");
      // The result may be empty (the condition does not hold): it must parse and run.
      await expect(prometheus.query(rule.query), rule.name).resolves.toBeInstanceOf(Array);
    }
  });
});
