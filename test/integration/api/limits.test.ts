import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Execution, ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { OverlapPolicy } from "../../../gen/chronoring/v1/limits_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const sleeping = (ms: number) => ({
  kind: { case: "noop" as const, value: { sleep: durationFromMs(ms) } },
});
const later = { kind: { case: "at" as const, value: timestampFromMs(Date.now() + 3_600_000) } };

/** Start and end of an execution, end = now while it runs. */
function span(e: Execution): [number, number] {
  return [timestampMs(e.startTime!), e.endTime ? timestampMs(e.endTime) : Date.now()];
}

/** The most runs RUNNING at any one instant. */
function peakConcurrency(runs: Execution[]): number {
  const edges = runs
    .filter((e) => e.startTime)
    .flatMap((e) => {
      const [start, end] = span(e);
      return [
        [start, 1],
        [end, -1],
      ] as const;
    })
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) {
    now += d;
    peak = Math.max(peak, now);
  }
  return peak;
}

describe("job limits: max concurrent, overlap policies and rate limits (api + scheduler + worker)", () => {
  let app: App;
  let client: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    const config = testConfig("limits", { LIMIT_RETRY_MS: "200" });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    client = jobClient(app.apiUrl!);
  });
  afterAll(() => app?.close());

  async function executions(jobId: string) {
    return (await client.listExecutions({ jobId, pageSize: 500 })).executions;
  }

  async function until(jobId: string, what: string, check: (all: Execution[]) => boolean) {
    return waitFor(
      what,
      async () => {
        const all = await executions(jobId);
        return check(all) ? all : undefined;
      },
      30_000,
    );
  }

  const of = (all: Execution[], status: ExecutionStatus) => all.filter((e) => e.status === status);

  it("SKIP drops exactly the runs that fall while the previous one runs", async () => {
    const { job } = await client.createJob({
      name: "skip overlap",
      owner: "team-a",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: sleeping(2_500),
      limits: { overlap: OverlapPolicy.SKIP },
    });
    const all = await until(
      job!.id,
      "3 runs done and some skipped",
      (list) => of(list, ExecutionStatus.SUCCEEDED).length >= 3,
    );
    await client.deleteJob({ id: job!.id });
    const skipped = of(all, ExecutionStatus.SKIPPED);
    // Never two at once.
    expect(peakConcurrency(all)).toBe(1);
    // Each run of 2.5 s covers the next two scheduled seconds.
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    for (const e of skipped) {
      expect(e.error).toContain("overlap SKIP");
      // It was decided while another run was RUNNING: the decision reads the
      // records first, so it may be stamped a moment after that run ended.
      const decided = timestampMs(e.endTime!);
      const overlapped = all.some((r) => {
        if (!r.startTime || r.id === e.id) return false;
        const [start, end] = span(r);
        return start <= decided && decided <= end + 500;
      });
      expect(overlapped, `${e.id} skipped while nothing ran`).toBe(true);
    }
    // And none of the runs that started overlapped a running one: every scheduled
    // second is one run, SUCCEEDED/RUNNING or SKIPPED. A second may hold more
    // than one record only as attempts of that run (a worker that lost its
    // session on a loaded machine hands its run to a new attempt), and then
    // only the last attempt may have succeeded or been skipped.
    const bySecond = new Map<number, Execution[]>();
    for (const e of all) {
      const second = timestampMs(e.scheduledTime!);
      bySecond.set(second, [...(bySecond.get(second) ?? []), e]);
    }
    for (const [second, records] of bySecond) {
      const shown = JSON.stringify(
        records.map((e) => [e.id, e.attempt, ExecutionStatus[e.status]]),
      );
      const attempts = records.map((e) => e.attempt).sort((a, b) => a - b);
      expect(new Set(attempts).size, `${second}: ${shown}`).toBe(records.length);
      const last = Math.max(...attempts);
      const settledEarlier = records.filter(
        (e) =>
          e.attempt !== last &&
          (e.status === ExecutionStatus.SUCCEEDED || e.status === ExecutionStatus.SKIPPED),
      );
      expect(settledEarlier, `${second}: ${shown}`).toEqual([]);
    }
  });

  it("max_concurrent caps runs in flight; the runs over it wait and all run", async () => {
    const { job } = await client.createJob({
      name: "two at a time",
      owner: "team-a",
      schedule: later,
      target: sleeping(800),
      limits: { maxConcurrent: 2 },
    });
    for (let i = 0; i < 6; i++) {
      await client.triggerJob({ id: job!.id });
      await new Promise((r) => setTimeout(r, 5));
    }
    const all = await until(
      job!.id,
      "6 runs done",
      (list) => of(list, ExecutionStatus.SUCCEEDED).length === 6,
    );
    expect(peakConcurrency(all)).toBe(2);
    await client.deleteJob({ id: job!.id });
  });

  it("a rate limit holds under a burst: at most max_runs starts per window, none dropped", async () => {
    const windowMs = 2_000;
    const { job } = await client.createJob({
      name: "rate limited",
      owner: "team-a",
      schedule: later,
      target: sleeping(0),
      limits: { rateLimit: { maxRuns: 3, window: durationFromMs(windowMs) } },
    });
    for (let i = 0; i < 8; i++) {
      await client.triggerJob({ id: job!.id });
      await new Promise((r) => setTimeout(r, 5));
    }
    const all = await until(
      job!.id,
      "8 runs done",
      (list) => of(list, ExecutionStatus.SUCCEEDED).length === 8,
    );
    const perWindow = new Map<number, number>();
    for (const e of all) {
      const w = Math.floor(timestampMs(e.startTime!) / windowMs);
      perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
    }
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(3);
    expect(perWindow.size).toBeGreaterThanOrEqual(3);
    await client.deleteJob({ id: job!.id });
  });

  it("BUFFER_ONE keeps one run waiting behind the running one and skips a third", async () => {
    const { job } = await client.createJob({
      name: "buffer one",
      owner: "team-a",
      schedule: later,
      target: sleeping(2_000),
      limits: { overlap: OverlapPolicy.BUFFER_ONE },
    });
    await client.triggerJob({ id: job!.id });
    await until(job!.id, "the first run running", (l) => l.some((e) => e.startTime));
    await client.triggerJob({ id: job!.id });
    await until(job!.id, "the second run waiting", (l) =>
      l.some((e) => e.status === ExecutionStatus.QUEUED),
    );
    await client.triggerJob({ id: job!.id });
    const all = await until(
      job!.id,
      "two runs done, one skipped",
      (l) =>
        of(l, ExecutionStatus.SUCCEEDED).length === 2 &&
        of(l, ExecutionStatus.SKIPPED).length === 1,
    );
    expect(peakConcurrency(all)).toBe(1);
    const [first, second] = of(all, ExecutionStatus.SUCCEEDED).sort(
      (a, b) => timestampMs(a.scheduledTime!) - timestampMs(b.scheduledTime!),
    );
    expect(timestampMs(second!.startTime!)).toBeGreaterThanOrEqual(timestampMs(first!.endTime!));
    expect(of(all, ExecutionStatus.SKIPPED)[0]!.error).toContain("BUFFER_ONE");
    await client.deleteJob({ id: job!.id });
  });

  it("CANCEL_PREVIOUS stops the running run, which ends CANCELLED, and starts the new one", async () => {
    const { job } = await client.createJob({
      name: "cancel previous",
      owner: "team-a",
      schedule: later,
      target: sleeping(20_000),
      limits: { overlap: OverlapPolicy.CANCEL_PREVIOUS },
    });
    const first = (await client.triggerJob({ id: job!.id })).execution!;
    await until(job!.id, "the first run running", (l) =>
      l.some((e) => e.id === first.id && e.status === ExecutionStatus.RUNNING),
    );
    const second = (await client.triggerJob({ id: job!.id })).execution!;
    const all = await until(
      job!.id,
      "the first cancelled, the second running",
      (l) =>
        l.some((e) => e.id === first.id && e.status === ExecutionStatus.CANCELLED) &&
        l.some((e) => e.id === second.id && e.status === ExecutionStatus.RUNNING),
    );
    const cancelled = all.find((e) => e.id === first.id)!;
    expect(cancelled.error).toContain(`cancelled by a newer run, ${second.id}`);
    const started = all.find((e) => e.id === second.id)!;
    expect(timestampMs(started.startTime!)).toBeGreaterThanOrEqual(timestampMs(cancelled.endTime!));
    await client.deleteJob({ id: job!.id });
  });

  it("UpdateJob sets and removes limits; GetJob shows them", async () => {
    const { job } = await client.createJob({
      name: "limits updated",
      owner: "team-a",
      schedule: later,
      target: sleeping(0),
    });
    expect(job!.limits).toBeUndefined();
    const updated = await client.updateJob({
      job: { id: job!.id, limits: { maxConcurrent: 4, overlap: OverlapPolicy.ALLOW } },
      updateMask: { paths: ["limits"] },
    });
    expect(updated.job!.limits?.maxConcurrent).toBe(4);
    const removed = await client.updateJob({
      job: { id: job!.id },
      updateMask: { paths: ["limits"] },
    });
    expect(removed.job!.limits).toBeUndefined();
    await client.deleteJob({ id: job!.id });
  });

  describe("bad limits get InvalidArgument naming the field", () => {
    const cases: Array<[string, object, string]> = [
      ["max_concurrent over 1000", { maxConcurrent: 1001 }, "limits.max_concurrent"],
      ["an unknown overlap policy", { overlap: 99 }, "limits.overlap"],
      [
        "a rate limit of 0 runs",
        { rateLimit: { maxRuns: 0, window: durationFromMs(1000) } },
        "limits.rate_limit.max_runs",
      ],
      [
        "a rate window under 1 s",
        { rateLimit: { maxRuns: 1, window: durationFromMs(10) } },
        "limits.rate_limit.window",
      ],
      ["a rate limit without a window", { rateLimit: { maxRuns: 1 } }, "limits.rate_limit.window"],
    ];
    it.each(cases)("%s → %s", async (_, limits, field) => {
      const err = await client
        .createJob({ name: "bad", owner: "o", schedule: later, target: sleeping(0), limits })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect((err as ConnectError).rawMessage).toContain(`${field}:`);
    });

    it("in UpdateJob, under job.limits", async () => {
      const { job } = await client.createJob({
        name: "to update",
        owner: "o",
        schedule: later,
        target: sleeping(0),
      });
      const err = await client
        .updateJob({
          job: { id: job!.id, limits: { maxConcurrent: 5000 } },
          updateMask: { paths: ["limits"] },
        })
        .catch((e: unknown) => e);
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect((err as ConnectError).rawMessage).toContain("job.limits.max_concurrent:");
    });
  });
});
