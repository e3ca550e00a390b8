/**
 * Fire-time quotas through the real server (DynamoDB Local, the SQS
 * emulator, etcd, auth on): runs of a tenant over its max_concurrent_runs
 * are held, not dropped, and all run once when it is under the limit again,
 * never more than the limit at once; a quiet tenant's runs meanwhile start
 * while the noisy tenant's are still held back.
 */

import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Execution,
  ExecutionStatus,
  WaitReason,
} from "../../../gen/chronoring/v1/execution_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { TenantService } from "../../../gen/chronoring/v1/tenant_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import { type TenantClient, tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

const sleeping = (ms: number) => ({
  kind: { case: "noop" as const, value: { sleep: durationFromMs(ms) } },
});
const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" }, timeZone: "UTC" };

/** The most runs RUNNING at any one instant. */
function peakConcurrency(runs: Execution[]): number {
  const edges = runs.flatMap((e) => [
    [timestampMs(e.startTime!), 1] as const,
    [e.endTime ? timestampMs(e.endTime) : Date.now(), -1] as const,
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) {
    now += d;
    peak = Math.max(peak, now);
  }
  return peak;
}

describe("tenant fairness at fire time", () => {
  let app: App;
  let auth: TestAuth;
  let as: TenantClient;
  let url: string;

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("fairness", { LIMIT_RETRY_MS: "200", ...auth.settings });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    url = app.apiUrl!;
    as = tenantClients(auth);
  });

  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  async function ranOnce(tenant: string, jobId: string, count: number) {
    const jobs = as(JobService, url, tenant);
    return waitFor(
      `${count} runs of ${tenant} succeeded`,
      async () => {
        const { executions } = await jobs.listExecutions({ jobId, pageSize: 500 });
        const done = executions.filter((e) => e.status === ExecutionStatus.SUCCEEDED);
        return done.length >= count ? executions : undefined;
      },
      60_000,
    );
  }

  it("holds a tenant's runs over max_concurrent_runs, then runs each once; a quiet tenant goes first", async () => {
    await as(TenantService, url, "ops").updateTenantQuota({
      tenant: "noisy",
      quotas: { maxConcurrentRuns: 2n },
      updateMask: { paths: ["max_concurrent_runs"] },
    });
    const noisyJobs = as(JobService, url, "noisy");
    const quietJobs = as(JobService, url, "quiet");
    const { job: noisy } = await noisyJobs.createJob({
      name: "burst",
      owner: "o",
      schedule: yearly,
      target: sleeping(1000),
    });
    const { job: quiet } = await quietJobs.createJob({
      name: "few",
      owner: "o",
      schedule: yearly,
      target: sleeping(0),
    });
    for (let i = 0; i < 8; i++) await noisyJobs.triggerJob({ id: noisy!.id });
    for (let i = 0; i < 2; i++) await quietJobs.triggerJob({ id: quiet!.id });

    const noisyRuns = await ranOnce("noisy", noisy!.id, 8);
    const quietRuns = await ranOnce("quiet", quiet!.id, 2);
    // Each run once (one execution per run), none lost, never more than 2 at once.
    expect(noisyRuns).toHaveLength(8);
    expect(new Set(noisyRuns.map((e) => e.id)).size).toBe(8);
    expect(peakConcurrency(noisyRuns)).toBeLessThanOrEqual(2);
    // The quiet tenant did not wait for the noisy tenant's held runs.
    const lastNoisyStart = Math.max(...noisyRuns.map((e) => timestampMs(e.startTime!)));
    for (const e of quietRuns) expect(timestampMs(e.startTime!)).toBeLessThan(lastNoisyStart);
    // Each run that was held says why and how long (GetExecution/ListExecutions);
    // parked in the worker, none was sent back. The quiet tenant's never waited.
    const waited = noisyRuns.filter((e) => e.wait);
    expect(waited.length).toBeGreaterThan(0);
    for (const e of waited) {
      expect(e.wait?.reason).toBe(WaitReason.TENANT_CONCURRENCY);
      expect(e.wait?.resends).toBe(0);
      expect(e.wait?.waited).toBeDefined();
    }
    expect(quietRuns.filter((e) => e.wait)).toEqual([]);
    // Held for concurrency: parked in the worker's intake (its wait list
    // holds up to 8 of a tenant), so none was sent back to the queue.
    const count = async (name: string) =>
      (await app.registry.getSingleMetric(name)?.get())?.values.find(
        (v) => v.labels.reason === "concurrency",
      )?.value ?? 0;
    expect(await count("chronoring_runs_parked_total")).toBeGreaterThan(0);
    expect(await count("chronoring_runs_held_total")).toBe(0);
  });
});
