/**
 * CreateJob with an idempotency key, against the real app on DynamoDB Local:
 * one job per (owner, key) and request, also under concurrent requests; a
 * different request with the key is AlreadyExists naming idempotency_key; an
 * expired key may be reused.
 */

import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { IDEMPOTENCY_TTL_MS, requestHash } from "../../../src/core/idempotency.js";
import { silentLogger, testConfig, testStores } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { makeJob } from "../../support/jobs.js";

const daily = { kind: { case: "cron" as const, value: "0 3 * * *" } };
const noop = { kind: { case: "noop" as const, value: {} } };

describe("CreateJob idempotency keys", () => {
  let app: App;
  let config: Config;
  let client: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    config = testConfig("idem", { ROLES: "api", ETCD_ENDPOINTS: "" });
    app = await startApp(config, { logger: silentLogger });
    client = jobClient(app.apiUrl!);
  });
  afterAll(() => app?.close());

  const request = (owner: string, key: string, name = "report") => ({
    name,
    owner,
    schedule: daily,
    target: noop,
    idempotencyKey: key,
  });

  async function jobsOf(owner: string) {
    return (await client.listJobs({ owner, pageSize: 100 })).jobs;
  }

  it("the same key with the same request returns the first job, and creates one", async () => {
    const first = (await client.createJob(request("idem-a", "order-1"))).job!;
    const again = (await client.createJob(request("idem-a", "order-1"))).job!;
    expect(again.id).toBe(first.id);
    expect(again.createTime).toEqual(first.createTime);
    expect(first.idempotencyKey).toBe("order-1");
    expect((await client.getJob({ id: first.id })).job!.idempotencyKey).toBe("order-1");
    expect((await jobsOf("idem-a")).map((j) => j.id)).toEqual([first.id]);
  });

  it("eight concurrent requests with one key create exactly one job", async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => client.createJob(request("idem-b", "race-1"))),
    );
    const ids = new Set(answers.map((a) => a.job!.id));
    expect(ids.size).toBe(1);
    expect((await jobsOf("idem-b")).map((j) => j.id)).toEqual([...ids]);
  });

  it("a different request with the key is AlreadyExists naming idempotency_key", async () => {
    await client.createJob(request("idem-c", "k-2"));
    const err = await client.createJob(request("idem-c", "k-2", "another name")).then(
      () => undefined,
      (e: unknown) => e as ConnectError,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect(Code[err!.code]).toBe(Code[Code.AlreadyExists]);
    expect(err!.rawMessage.startsWith("idempotency_key: ")).toBe(true);
    expect(await jobsOf("idem-c")).toHaveLength(1);
  });

  it("keys are scoped to the owner", async () => {
    const a = (await client.createJob(request("idem-d1", "shared"))).job!;
    const b = (await client.createJob(request("idem-d2", "shared"))).job!;
    expect(a.id).not.toBe(b.id);
  });

  it("without a key every request creates a job", async () => {
    const { idempotencyKey: _, ...plain } = request("idem-e", "");
    const a = (await client.createJob(plain)).job!;
    const b = (await client.createJob(plain)).job!;
    expect(a.id).not.toBe(b.id);
    expect(a.idempotencyKey).toBe("");
  });

  it("an expired key counts as absent, although DynamoDB has not deleted it yet", async () => {
    const { jobs, client: dynamo } = await testStores(config);
    try {
      const t0 = Date.now();
      const record = (hash: string, at: number) => ({
        tenant: DEFAULT_TENANT,
        owner: "idem-f",
        key: "old",
        requestHash: hash,
        expiresMs: at + IDEMPOTENCY_TTL_MS,
      });
      const first = makeJob(config.store.partitions, { owner: "idem-f", createdMs: t0 });
      expect((await jobs.createJobOnce(first, record(requestHash({ v: 1 }), t0))).id).toBe(
        first.id,
      );
      // Within the lifetime, another request is refused ...
      const early = makeJob(config.store.partitions, { owner: "idem-f", createdMs: t0 + 1000 });
      await expect(
        jobs.createJobOnce(early, record(requestHash({ v: 2 }), t0 + 1000)),
      ).rejects.toMatchObject({ kind: "already_exists", field: "idempotency_key" });
      // ... and after it the key makes a new job.
      const late = t0 + IDEMPOTENCY_TTL_MS + 1;
      const second = makeJob(config.store.partitions, { owner: "idem-f", createdMs: late });
      expect((await jobs.createJobOnce(second, record(requestHash({ v: 2 }), late))).id).toBe(
        second.id,
      );
    } finally {
      dynamo.destroy();
    }
  });

  it("ListJobs never shows the key records", async () => {
    const all = (await client.listJobs({ pageSize: 500 })).jobs;
    expect(all.every((j) => j.id.startsWith("job_"))).toBe(true);
  });
});
