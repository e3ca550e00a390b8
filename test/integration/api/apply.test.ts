/**
 * ApplyJobs and external keys through the real API on DynamoDB Local: a
 * plan creates, updates, prunes and leaves jobs; a dry run writes nothing;
 * of two concurrent applies of different contents one wins and the other is
 * Aborted, and no job is lost or duplicated; CreateJob with a held key is
 * AlreadyExists; tenant B neither sees nor prunes tenant A's keys.
 */

import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { ApplyAction, JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import { failure } from "../../support/client.js";
import { tenantClients } from "../../support/tenants.js";

const noop = { kind: { case: "noop" as const, value: {} } };
const cron = (expr: string) => ({ kind: { case: "cron" as const, value: expr }, timeZone: "UTC" });

const job = (key: string, expr = "0 3 * * *", name = `job ${key}`) => ({
  name,
  owner: "apply-tests",
  schedule: cron(expr),
  target: noop,
  externalKey: key,
});

describe("ApplyJobs through the API", () => {
  let app: App;
  let auth: TestAuth;
  let a: Client<typeof JobService>;
  let b: Client<typeof JobService>;

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("apply", { ROLES: "api", ETCD_ENDPOINTS: "", ...auth.settings });
    app = await startApp(config, { logger: silentLogger });
    const client = tenantClients(auth);
    a = client(JobService, app.apiUrl!, "apply-a");
    b = client(JobService, app.apiUrl!, "apply-b");
  });
  afterAll(() => app?.close());

  /** The live jobs of a namespace, by key. */
  async function live(client: Client<typeof JobService>, ns: string) {
    const { jobs } = await client.listJobs({ applyNamespace: ns, pageSize: 500 });
    return jobs.filter((j) => j.status !== JobStatus.CANCELLED);
  }

  it("creates, then plans nothing for the same file, updates with a diff, and prunes", async () => {
    const ns = "plan";
    const first = await a.applyJobs({ namespace: ns, jobs: [job("x"), job("y")] });
    expect(first.applied).toBe(true);
    expect(first.plan.map((e) => [e.externalKey, e.action])).toEqual([
      ["x", ApplyAction.CREATE],
      ["y", ApplyAction.CREATE],
    ]);
    const created = await live(a, ns);
    expect(created.map((j) => j.externalKey).sort()).toEqual(["x", "y"]);
    expect(created.every((j) => j.applyNamespace === ns)).toBe(true);
    expect(first.plan.map((e) => e.jobId).sort()).toEqual(created.map((j) => j.id).sort());

    const again = await a.applyJobs({ namespace: ns, jobs: [job("x"), job("y")] });
    expect(again.counts).toMatchObject({ create: 0, update: 0, delete: 0, unchanged: 2 });

    const x = created.find((j) => j.externalKey === "x")!;
    const changed = await a.applyJobs({
      namespace: ns,
      jobs: [job("x", "0 5 * * *"), job("z")],
      prune: true,
    });
    expect(changed.counts).toMatchObject({ create: 1, update: 1, delete: 1, unchanged: 0 });
    const update = changed.plan.find((e) => e.action === ApplyAction.UPDATE)!;
    expect(update).toMatchObject({ externalKey: "x", jobId: x.id, version: x.version });
    expect(update.changes).toEqual([
      expect.objectContaining({
        path: "schedule.source",
        oldValue: '"0 3 * * *"',
        newValue: '"0 5 * * *"',
      }),
    ]);
    const after = await live(a, ns);
    expect(after.map((j) => j.externalKey).sort()).toEqual(["x", "z"]);
    const x2 = (await a.getJob({ id: x.id })).job!;
    expect(x2.schedule?.kind).toEqual({ case: "cron", value: "0 5 * * *" });
    expect(x2.externalKey).toBe("x");
    // The pruned job is cancelled, and its key free again.
    const y = created.find((j) => j.externalKey === "y")!;
    expect((await a.getJob({ id: y.id })).job!.status).toBe(JobStatus.CANCELLED);
    const reused = (await a.createJob(job("y"))).job!;
    expect(reused.externalKey).toBe("y");
  });

  it("applies pause_after_failures and remaining_runs; the same file again is no change, a new number is", async () => {
    const ns = "policies";
    const limited = { ...job("l"), pauseAfterFailures: 3, remainingRuns: 5 };
    await a.applyJobs({ namespace: ns, jobs: [limited] });
    const [made] = await live(a, ns);
    expect(made).toMatchObject({ pauseAfterFailures: 3, remainingRuns: 5, grantedRuns: 5 });
    const again = await a.applyJobs({ namespace: ns, jobs: [limited] });
    expect(again.counts).toMatchObject({ update: 0, unchanged: 1 });
    const raised = await a.applyJobs({
      namespace: ns,
      jobs: [{ ...limited, remainingRuns: 8, pauseAfterFailures: 0 }],
    });
    expect(raised.plan[0]?.changes.map((c) => [c.path, c.oldValue, c.newValue])).toEqual([
      ["pause_after_failures", "3", "0"],
      ["remaining_runs", "5", "8"],
    ]);
    const [after] = await live(a, ns);
    expect(after).toMatchObject({ pauseAfterFailures: 0, remainingRuns: 8, grantedRuns: 8 });
  });

  it("a dry run answers the plan and writes nothing", async () => {
    const ns = "dry";
    await a.applyJobs({ namespace: ns, jobs: [job("d1")] });
    const before = await live(a, ns);
    const dry = await a.applyJobs({
      namespace: ns,
      jobs: [job("d1", "0 6 * * *"), job("d2")],
      dryRun: true,
    });
    expect(dry.applied).toBe(false);
    expect(dry.counts).toMatchObject({ create: 1, update: 1 });
    expect(dry.plan.find((e) => e.action === ApplyAction.CREATE)?.jobId).toBe("");
    expect(await live(a, ns)).toEqual(before);
  });

  it("of two concurrent applies of different contents one wins, the other is Aborted; nothing lost or duplicated", async () => {
    const ns = "race";
    const keys = (p: string) => Array.from({ length: 15 }, (_, i) => `${p}-${i}`);
    const left = keys("shared")
      .map((k) => job(k, "0 1 * * *"))
      .concat(keys("left").map((k) => job(k)));
    const right = keys("shared")
      .map((k) => job(k, "0 2 * * *"))
      .concat(keys("right").map((k) => job(k)));
    const outcomes = await Promise.allSettled([
      a.applyJobs({ namespace: ns, jobs: left, prune: true }),
      a.applyJobs({ namespace: ns, jobs: right, prune: true }),
    ]);
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.filter((o) => o.status === "rejected") as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ code: Code.Aborted });
    const winner = outcomes[0]!.status === "fulfilled" ? left : right;
    const jobs = await live(a, ns);
    const byKey = new Map<string, number>();
    for (const j of jobs) byKey.set(j.externalKey, (byKey.get(j.externalKey) ?? 0) + 1);
    expect([...byKey.values()].every((n) => n === 1)).toBe(true);
    expect([...byKey.keys()].sort()).toEqual(winner.map((j) => j.externalKey).sort());
    // The loser re-plans against what won and converges.
    const loser = winner === left ? right : left;
    const replanned = await a.applyJobs({ namespace: ns, jobs: loser, prune: true });
    expect(replanned.counts).toMatchObject({ create: 15, update: 15, delete: 15 });
    expect((await live(a, ns)).map((j) => j.externalKey).sort()).toEqual(
      loser.map((j) => j.externalKey).sort(),
    );
  });

  it("CreateJob with a held external key is AlreadyExists naming external_key; an apply will not take a key it does not manage", async () => {
    const held = (await a.createJob(job("held"))).job!;
    const err = await failure(() => a.createJob(job("held")));
    expect(err).toMatchObject({ code: Code.AlreadyExists });
    expect(err!.message).toMatch(/^external_key: "held" is already held by job /);
    const taken = await failure(() => a.applyJobs({ namespace: "other", jobs: [job("held")] }));
    expect(taken).toMatchObject({ code: Code.FailedPrecondition });
    expect(taken!.message).toContain(held.id);
    const listed = await a.listJobs({ externalKey: "held", pageSize: 10 });
    expect(listed.jobs.map((j) => j.id)).toEqual([held.id]);
  });

  it("each bad request is InvalidArgument naming the field", async () => {
    const cases: Array<[Parameters<typeof a.applyJobs>[0], string]> = [
      [{ namespace: "", jobs: [] }, "namespace"],
      [{ namespace: "ns", jobs: [{ ...job("k"), externalKey: "" }] }, "jobs[0].external_key"],
      [{ namespace: "ns", jobs: [job("k"), job("k")] }, "jobs[1].external_key"],
      [{ namespace: "ns", jobs: [job("k", "not cron")] }, "jobs[0].schedule.cron"],
      [{ namespace: "ns", jobs: Array.from({ length: 201 }, (_, i) => job(`k${i}`)) }, "jobs"],
    ];
    for (const [req, field] of cases) {
      const err = await failure(() => a.applyJobs(req));
      expect(err, field).toMatchObject({ code: Code.InvalidArgument });
      expect(err!.message.startsWith(`${field}: `), err!.message).toBe(true);
    }
  });

  it("tenant B neither sees nor prunes tenant A's keys", async () => {
    const ns = "shared-ns";
    await a.applyJobs({ namespace: ns, jobs: [job("t1"), job("t2")] });
    const planB = await b.applyJobs({ namespace: ns, jobs: [job("t1")], prune: true });
    // B's namespace of that name is its own: t1 is B's to create, A's t2 is not B's to delete.
    expect(planB.counts).toMatchObject({ create: 1, delete: 0 });
    expect((await live(a, ns)).map((j) => j.externalKey).sort()).toEqual(["t1", "t2"]);
    expect((await b.listJobs({ externalKey: "t2", pageSize: 10 })).jobs).toEqual([]);
    expect((await live(b, ns)).map((j) => j.externalKey)).toEqual(["t1"]);
  });
});
