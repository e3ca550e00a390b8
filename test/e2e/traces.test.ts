import { readFileSync } from "node:fs";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobClient } from "../support/client.js";
import {
  type ReceivedSpan,
  startOtlpReceiver,
  startTraceTarget,
} from "../support/otlp-receiver.js";
import { e2eCluster, type Node } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

/** traceparent → [trace id, parent span id]. */
function parseTraceparent(header: string | undefined): [string, string] {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(header ?? "");
  expect(m, `traceparent ${header}`).not.toBeNull();
  return [m![1]!, m![2]!];
}

describe("traces (api, scheduler and worker as separate processes, a real OTLP receiver)", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let target: Awaited<ReturnType<typeof startTraceTarget>>;
  let cluster: ReturnType<typeof e2eCluster>;
  let api: Node;
  let scheduler: Node;

  beforeAll(async () => {
    [receiver, target] = await Promise.all([startOtlpReceiver(), startTraceTarget()]);
    cluster = e2eCluster("traces", { OTLP_ENDPOINT: receiver.url });
    [api, scheduler] = await Promise.all([
      cluster.start("api-1", ["api"]),
      cluster.start("scheduler-1", ["scheduler"]),
      cluster.start("worker-1", ["worker"]),
    ]);
    await cluster.untilOwns(scheduler);
  });
  afterAll(async () => {
    await receiver?.close();
    await target?.close();
  });

  const spanNamed = (name: string, where: (s: ReceivedSpan) => boolean) =>
    waitFor(`a span ${name}`, () => receiver.spans.find((s) => s.name === name && where(s)));
  const requestTo = (path: string) =>
    waitFor(`a request to ${path}`, () => target.requests.find((r) => r.path === path));

  it("a triggered fire is one trace: the caller's, the API call, the worker's run, the target's request", async () => {
    const client = jobClient(api.apiUrl!);
    const { job } = await client.createJob({
      name: "traced-trigger",
      owner: "e2e",
      schedule: { kind: { case: "cron", value: "0 0 1 1 *" } },
      target: { kind: { case: "http", value: { url: `${target.url}/trigger` } } },
    });
    // The caller's own trace: the API continues it.
    const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpan = "00f067aa0ba902b7";
    await client.triggerJob(
      { id: job!.id },
      { headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` } },
    );

    const [traceId, targetParent] = parseTraceparent((await requestTo("/trigger")).traceparent);
    expect(traceId).toBe(callerTrace);
    const apiSpan = await spanNamed(
      "chronoring.v1.JobService/TriggerJob",
      (s) => s.traceId === callerTrace,
    );
    expect(apiSpan.parentSpanId).toBe(callerSpan);
    expect(apiSpan.resource["service.instance.id"]).toBe("api-1");
    const run = await spanNamed("chronoring.worker.run", (s) => s.traceId === callerTrace);
    expect(run.parentSpanId).toBe(apiSpan.spanId);
    expect(run.attributes["chronoring.job_id"]).toBe(job!.id);
    expect(run.attributes["chronoring.attempt"]).toBe(1);
    expect(run.resource["service.name"]).toBe("chronoring");
    expect(run.resource["service.instance.id"]).toBe("worker-1");
    // The target's request is the run span's child.
    expect(targetParent).toBe(run.spanId);
    // The worker's log line of the run carries the run span's ids.
    const finished = await waitFor("the worker's run log line", () =>
      readFileSync(join(cluster.dir, "worker-1.log"), "utf8")
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === "run finished" && line.jobId === job!.id),
    );
    expect(finished).toMatchObject({ trace_id: callerTrace, span_id: run.spanId });
  });

  it("a scheduled fire is one trace: the claim, the worker's run, the target's request", async () => {
    const client = jobClient(api.apiUrl!);
    const { job } = await client.createJob({
      name: "traced-schedule",
      owner: "e2e",
      schedule: { kind: { case: "at", value: timestampFromMs(Date.now() + 1500) } },
      target: { kind: { case: "http", value: { url: `${target.url}/scheduled` } } },
    });

    const [traceId, targetParent] = parseTraceparent((await requestTo("/scheduled")).traceparent);
    const claim = await spanNamed("chronoring.scheduler.claim", (s) => s.traceId === traceId);
    expect(claim.parentSpanId).toBe("");
    expect(claim.attributes["chronoring.job_id"]).toBe(job!.id);
    expect(claim.resource["service.instance.id"]).toBe("scheduler-1");
    const run = await spanNamed("chronoring.worker.run", (s) => s.traceId === traceId);
    expect(run.parentSpanId).toBe(claim.spanId);
    expect(targetParent).toBe(run.spanId);
  });
});
