import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterService } from "../../../gen/chronoring/v1/cluster_service_pb.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const noop = { kind: { case: "noop" as const, value: {} } };

describe("a job from the API to executed runs (api + scheduler + worker in one process)", () => {
  let app: App;
  let client: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    const config = testConfig("lifecycle");
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    client = jobClient(app.apiUrl!);
  });
  afterAll(() => app?.close());

  async function executions(jobId: string) {
    const page = await client.listExecutions({ jobId, pageSize: 100 });
    return page.executions;
  }

  async function succeeded(jobId: string, count: number) {
    return waitFor(
      `${count} runs of ${jobId}`,
      async () => {
        const list = (await executions(jobId)).filter(
          (e) => e.status === ExecutionStatus.SUCCEEDED,
        );
        return list.length >= count ? list : undefined;
      },
      20_000,
    );
  }

  it("fires a recurring job on time and lists its executions", async () => {
    const { job } = await client.createJob({
      name: "every second",
      owner: "team-a",
      tags: ["t1"],
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: noop,
    });
    expect(job?.status).toBe(JobStatus.ACTIVE);
    expect(job?.version).toBe(1n);
    const created = Date.now();
    const runs = await succeeded(job!.id, 3);
    for (const e of runs) {
      const scheduled = timestampMs(e.scheduledTime!);
      expect(scheduled % 1000).toBe(0);
      // Handed to the queue about on time; a generous bound, the machine is
      // shared. The first run may fall due before CreateJob even returned.
      if (scheduled > created) expect(timestampMs(e.queueTime!) - scheduled).toBeLessThan(1500);
      expect(e.id).toBe(`${job!.id}:${scheduled}:1`);
      expect(e.attempt).toBe(1);
    }
    const one = await client.getExecution({ id: runs[0]!.id });
    expect(one.execution?.status).toBe(ExecutionStatus.SUCCEEDED);
    await client.deleteJob({ id: job!.id });
  });

  it("fires a one-time job exactly once and marks it finished", async () => {
    const at = Date.now() + 1500;
    const { job } = await client.createJob({
      name: "once",
      owner: "team-a",
      schedule: { kind: { case: "at", value: timestampFromMs(at) } },
      target: noop,
    });
    const [run] = await succeeded(job!.id, 1);
    expect(timestampMs(run!.scheduledTime!)).toBe(at);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await executions(job!.id)).toHaveLength(1);
    const { job: after } = await client.getJob({ id: job!.id });
    expect(after?.status).toBe(JobStatus.FINISHED);
    expect(after?.nextRunTime).toBeUndefined();
  });

  it("fires a job created with a delay", async () => {
    const { job } = await client.createJob({
      name: "after",
      owner: "team-a",
      schedule: { kind: { case: "after", value: { seconds: 1n, nanos: 0 } } },
      target: noop,
    });
    await succeeded(job!.id, 1);
  });

  it("stops all runs once DeleteJob returns", async () => {
    const { job } = await client.createJob({
      name: "to cancel",
      owner: "team-a",
      schedule: { kind: { case: "interval", value: "1s" } },
      target: noop,
    });
    await succeeded(job!.id, 1);
    const { job: cancelled } = await client.deleteJob({ id: job!.id });
    expect(cancelled?.status).toBe(JobStatus.CANCELLED);
    const cancelledAt = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const late = (await executions(job!.id)).filter(
      (e) =>
        e.status !== ExecutionStatus.CANCELLED &&
        e.startTime &&
        timestampMs(e.startTime) > cancelledAt,
    );
    expect(late).toEqual([]);
    // Deleting again is harmless.
    expect((await client.deleteJob({ id: job!.id })).job?.status).toBe(JobStatus.CANCELLED);
  });

  it("pauses and resumes a job, bumping its version each time", async () => {
    const { job } = await client.createJob({
      name: "pausable",
      owner: "team-a",
      schedule: { kind: { case: "interval", value: "1s" } },
      target: noop,
    });
    await succeeded(job!.id, 1);
    const { job: paused } = await client.pauseJob({ id: job!.id });
    expect(paused?.status).toBe(JobStatus.PAUSED);
    expect(paused?.nextRunTime).toBeUndefined();
    expect(paused?.version).toBe(2n);
    const pausedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
    const during = (await executions(job!.id)).filter(
      (e) => e.status === ExecutionStatus.SUCCEEDED && timestampMs(e.startTime!) > pausedAt,
    );
    expect(during).toEqual([]);
    const { job: resumed } = await client.resumeJob({ id: job!.id });
    expect(resumed?.status).toBe(JobStatus.ACTIVE);
    expect(resumed?.version).toBe(3n);
    const resumedAt = Date.now();
    await waitFor(
      "a run after resume",
      async () => {
        const after = (await executions(job!.id)).filter(
          (e) =>
            e.status === ExecutionStatus.SUCCEEDED && timestampMs(e.scheduledTime!) >= resumedAt,
        );
        return after.length ? after : undefined;
      },
      15_000,
    );
    await client.deleteJob({ id: job!.id });
  });

  it("runs a triggered run once, besides the schedule, even while paused", async () => {
    const { job } = await client.createJob({
      name: "manual",
      owner: "team-a",
      schedule: { kind: { case: "cron", value: "0 0 1 1 *" } },
      target: noop,
    });
    await client.pauseJob({ id: job!.id });
    const { execution } = await client.triggerJob({ id: job!.id });
    expect(execution?.status).toBe(ExecutionStatus.QUEUED);
    expect(execution?.manual).toBe(true);
    const [run] = await succeeded(job!.id, 1);
    expect(run?.id).toBe(execution?.id);
    expect(run?.manual).toBe(true);
  });

  it("updates fields named in the mask and bumps the version", async () => {
    const { job } = await client.createJob({
      name: "before",
      owner: "team-a",
      schedule: { kind: { case: "cron", value: "0 0 1 1 *" } },
      target: noop,
    });
    const { job: updated } = await client.updateJob({
      job: {
        id: job!.id,
        name: "after",
        schedule: { kind: { case: "interval", value: "rate(5 minutes)" } },
      },
      updateMask: { paths: ["name", "schedule"] },
    });
    expect(updated?.name).toBe("after");
    expect(updated?.version).toBe(2n);
    expect(updated?.schedule?.kind).toEqual({ case: "interval", value: "rate(5 minutes)" });
    const next = timestampMs(updated!.nextRunTime!);
    expect(next - Date.now()).toBeLessThanOrEqual(5 * 60_000);
  });

  it("lists jobs by owner, tag and status, page by page", async () => {
    const owner = `lister-${Date.now()}`;
    for (let i = 0; i < 5; i++) {
      await client.createJob({
        name: `job ${i}`,
        owner,
        tags: i % 2 ? ["odd"] : ["even"],
        schedule: { kind: { case: "cron", value: "0 0 1 1 *" } },
        target: noop,
      });
    }
    const first = await client.listJobs({ owner, pageSize: 2 });
    expect(first.jobs).toHaveLength(2);
    expect(first.nextPageToken).not.toBe("");
    const names = new Set(first.jobs.map((j) => j.name));
    let token = first.nextPageToken;
    while (token) {
      const page = await client.listJobs({ owner, pageSize: 2, pageToken: token });
      for (const j of page.jobs) names.add(j.name);
      token = page.nextPageToken;
    }
    expect(names.size).toBe(5);
    const odd = await client.listJobs({ owner, tag: "odd", pageSize: 50 });
    expect(odd.jobs.map((j) => j.name).sort()).toEqual(["job 1", "job 3"]);
    const active = await client.listJobs({ owner, status: JobStatus.PAUSED, pageSize: 50 });
    expect(active.jobs).toEqual([]);
  });

  it("shows the cluster: this node leads, owns every partition, and its worker's in-flight runs", async () => {
    const cluster = createClient(ClusterService, createGrpcTransport({ baseUrl: app.apiUrl! }));
    const view = await cluster.getCluster({});
    const scheduler = view.members.find((m) => m.role === "scheduler");
    expect(view.leaderId).toBe(scheduler?.id);
    expect(scheduler?.partitionsOwned).toBe(8);
    expect(view.members.some((m) => m.role === "worker")).toBe(true);
    expect(view.assignmentEpoch).toBeGreaterThan(0n);
    expect(view.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(view.partitions.map((p) => p.nodeId))).toEqual(new Set([scheduler?.id]));
    const runs = await cluster.listWorkerRuns({ workerId: scheduler!.id });
    expect(runs.executions.every((e) => e.status === ExecutionStatus.RUNNING)).toBe(true);
    await expect(cluster.listWorkerRuns({ workerId: "" })).rejects.toMatchObject({
      rawMessage: expect.stringMatching(/^worker_id/),
    });
  });
});
