import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Execution, ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import {
  NodeRunStatus,
  type WorkflowNode,
  type WorkflowRun,
  WorkflowRunStatus,
} from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { jobClient, workflowClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const noop = (ms = 0) => ({
  kind: { case: "noop" as const, value: { sleep: durationFromMs(ms) } },
});
const failing = { kind: { case: "script" as const, value: { command: "false", args: [] } } };
const later = { kind: { case: "at" as const, value: timestampFromMs(Date.now() + 3_600_000) } };
const node = (
  key: string,
  dependsOn: string[] = [],
  target: ReturnType<typeof noop> | typeof failing = noop(),
) => ({ key, name: "", target, dependsOn }) as Partial<WorkflowNode> as WorkflowNode;

async function codeOf(call: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error("call succeeded");
}

describe("workflows: DAG runs of node jobs (api + scheduler + worker)", () => {
  let app: App;
  let wf: ReturnType<typeof workflowClient>;
  let jobs: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    const config = testConfig("workflows", { SCRIPT_ALLOW_LIST: "false" });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    wf = workflowClient(app.apiUrl!);
    jobs = jobClient(app.apiUrl!);
  });
  afterAll(() => app?.close());

  async function executions(jobId: string): Promise<Execution[]> {
    return (await jobs.listExecutions({ jobId, pageSize: 500 })).executions;
  }

  /** The run, or undefined until a worker has started it (TriggerWorkflow only queues the start). */
  async function runOf(runId: string): Promise<WorkflowRun | undefined> {
    try {
      return (await wf.getWorkflowRun({ id: runId })).run;
    } catch (err) {
      if (ConnectError.from(err).code === Code.NotFound) return undefined;
      throw err;
    }
  }

  async function untilEnded(runId: string): Promise<WorkflowRun> {
    return waitFor(
      `workflow run ${runId} to end`,
      async () => {
        const run = await runOf(runId);
        return run && run.status !== WorkflowRunStatus.RUNNING ? run : undefined;
      },
      30_000,
    );
  }

  it("runs a diamond's nodes once per workflow run, the join after both branches", async () => {
    const { workflow } = await wf.createWorkflow({
      name: "diamond",
      owner: "team-wf",
      schedule: later,
      nodes: [
        node("a"),
        node("b", ["a"], noop(300)),
        node("c", ["a"], noop(700)),
        node("d", ["b", "c"]),
      ],
    });
    const ids = Object.fromEntries(workflow!.nodes.map((n) => [n.key, n.jobId]));
    // Node jobs are real jobs, marked with the workflow and their upstreams.
    const { job: d } = await jobs.getJob({ id: ids.d! });
    expect(d!.workflowId).toBe(workflow!.id);
    expect([...d!.dependsOn].sort()).toEqual([ids.b, ids.c].sort());
    expect(d!.nextRunTime).toBeUndefined();

    const first = (await wf.triggerWorkflow({ id: workflow!.id })).runId;
    // While c sleeps, its node reads RUNNING (from its execution) and d waits PENDING.
    await waitFor("c to run while d waits", async () => {
      const run = await runOf(first);
      const st = Object.fromEntries((run?.nodes ?? []).map((n) => [n.key, n.status]));
      return st.c === NodeRunStatus.RUNNING && st.d === NodeRunStatus.PENDING ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 20));
    const second = (await wf.triggerWorkflow({ id: workflow!.id })).runId;
    for (const runId of [first, second]) {
      const run = await untilEnded(runId);
      expect(run.status).toBe(WorkflowRunStatus.SUCCEEDED);
      expect(run.nodes.map((n) => n.status)).toEqual(Array(4).fill(NodeRunStatus.SUCCEEDED));
    }
    const runMs = [first, second].map((id) => Number(id.split(":")[1]));
    for (const key of ["a", "b", "c", "d"]) {
      const all = await executions(ids[key]!);
      // Exactly one execution per node and workflow run.
      expect(all.map((e) => timestampMs(e.scheduledTime!)).sort()).toEqual([...runMs].sort());
      expect(all.every((e) => e.status === ExecutionStatus.SUCCEEDED)).toBe(true);
    }
    for (const ms of runMs) {
      const at = async (key: string) =>
        (await executions(ids[key]!)).find((e) => timestampMs(e.scheduledTime!) === ms)!;
      const [b, c, dRun] = await Promise.all([at("b"), at("c"), at("d")]);
      const dStart = timestampMs(dRun.startTime!);
      expect(dStart).toBeGreaterThanOrEqual(timestampMs(b.endTime!));
      expect(dStart).toBeGreaterThanOrEqual(timestampMs(c.endTime!));
    }
    const listed = await wf.listWorkflowRuns({ workflowId: workflow!.id });
    expect(listed.runs.map((r) => r.id)).toEqual([second, first]);
  });

  it("skips the downstream of a failed node and fails the run; an independent branch still runs", async () => {
    const { workflow } = await wf.createWorkflow({
      name: "failing",
      owner: "team-wf",
      schedule: later,
      nodes: [
        node("fetch", [], failing),
        node("transform", ["fetch"]),
        node("load", ["transform"]),
        node("audit"),
        node("report", ["audit"]),
      ],
    });
    const runId = (await wf.triggerWorkflow({ id: workflow!.id })).runId;
    const run = await untilEnded(runId);
    expect(run.status).toBe(WorkflowRunStatus.FAILED);
    const status = Object.fromEntries(run.nodes.map((n) => [n.key, n.status]));
    expect(status).toEqual({
      fetch: NodeRunStatus.FAILED,
      transform: NodeRunStatus.SKIPPED,
      load: NodeRunStatus.SKIPPED,
      audit: NodeRunStatus.SUCCEEDED,
      report: NodeRunStatus.SUCCEEDED,
    });
    const ids = Object.fromEntries(workflow!.nodes.map((n) => [n.key, n.jobId]));
    expect(await executions(ids.transform!)).toEqual([]);
    expect(await executions(ids.load!)).toEqual([]);
  });

  it("starts workflow runs on its schedule, listed newest first with per-node status", async () => {
    const { workflow } = await wf.createWorkflow({
      name: "every second",
      owner: "team-sched",
      schedule: { kind: { case: "interval" as const, value: "1s" } },
      nodes: [node("x"), node("y", ["x"])],
    });
    const runs = await waitFor(
      "two finished scheduled runs",
      async () => {
        const { runs } = await wf.listWorkflowRuns({ workflowId: workflow!.id });
        const done = runs.filter((r) => r.status === WorkflowRunStatus.SUCCEEDED);
        return done.length >= 2 ? runs : undefined;
      },
      30_000,
    );
    const times = runs.map((r) => timestampMs(r.scheduledTime!));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const done = runs.find((r) => r.status === WorkflowRunStatus.SUCCEEDED)!;
    expect(done.nodes.map((n) => [n.key, n.status])).toEqual([
      ["x", NodeRunStatus.SUCCEEDED],
      ["y", NodeRunStatus.SUCCEEDED],
    ]);
    expect(done.nodes[0]!.executionId).toBe(
      `${done.nodes[0]!.jobId}:${timestampMs(done.scheduledTime!)}:1`,
    );
    const owned = await wf.listWorkflows({ owner: "team-sched" });
    expect(owned.workflows.map((w) => w.id)).toEqual([workflow!.id]);

    // Deleted: the trigger and node jobs are cancelled, no new run starts.
    await wf.deleteWorkflow({ id: workflow!.id });
    const { job: trigger } = await jobs.getJob({ id: workflow!.triggerJobId });
    expect(trigger!.nextRunTime).toBeUndefined();
    const before = (await wf.listWorkflowRuns({ workflowId: workflow!.id })).runs.length;
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await wf.listWorkflowRuns({ workflowId: workflow!.id })).runs.length).toBe(before);
    expect((await codeOf(wf.triggerWorkflow({ id: workflow!.id }))).code).toBe(
      Code.FailedPrecondition,
    );
  });

  it("rejects a cycle and bad input, naming the field", async () => {
    const base = { name: "bad", owner: "team-wf", schedule: later };
    const cycle = await codeOf(
      wf.createWorkflow({ ...base, nodes: [node("a", ["c"]), node("b", ["a"]), node("c", ["b"])] }),
    );
    expect(cycle.code).toBe(Code.InvalidArgument);
    expect(cycle.message).toMatch(/^nodes: cycle: (a → b → c → a|b → c → a → b|c → a → b → c)$/);
    const cases: Array<[WorkflowNode[], string]> = [
      [[], "nodes"],
      [[node("a"), node("a")], "nodes[1].key"],
      [[node("a"), node("b", ["nope"])], "nodes[1].depends_on[0]"],
      [[node("Bad key")], "nodes[0].key"],
      [[{ ...node("a"), target: undefined } as unknown as WorkflowNode], "nodes[0].target"],
    ];
    for (const [nodes, field] of cases) {
      const r = await codeOf(wf.createWorkflow({ ...base, nodes }));
      expect(r.code, field).toBe(Code.InvalidArgument);
      expect(r.message.startsWith(`${field}: `), r.message).toBe(true);
    }
    // A workflow target is created by CreateWorkflow only.
    const r = await codeOf(
      jobs.createJob({
        name: "sneaky",
        owner: "x",
        schedule: later,
        target: { kind: { case: "workflow", value: { workflowId: "wf_x" } } },
      }),
    );
    expect(r.code).toBe(Code.InvalidArgument);
    const unknown = "wf_00000000000000000000000000";
    expect((await codeOf(wf.getWorkflow({ id: unknown }))).code).toBe(Code.NotFound);
    expect((await codeOf(wf.getWorkflowRun({ id: `${unknown}:1` }))).code).toBe(Code.NotFound);
    expect((await codeOf(wf.getWorkflow({ id: "nope" }))).code).toBe(Code.InvalidArgument);
  });

  it("refuses limits on a node job (a held-back run would never report to its workflow run)", async () => {
    const { workflow } = await wf.createWorkflow({
      name: "no limits on nodes",
      owner: "team-wf",
      schedule: later,
      nodes: [node("a")],
    });
    const r = await codeOf(
      jobs.updateJob({
        job: { id: workflow!.nodes[0]!.jobId, limits: { maxConcurrent: 1 } },
        updateMask: { paths: ["limits"] },
      }),
    );
    expect(r.code).toBe(Code.FailedPrecondition);
    expect(r.message).toContain("nodes take no limits");
    await wf.deleteWorkflow({ id: workflow!.id });
  });
});
