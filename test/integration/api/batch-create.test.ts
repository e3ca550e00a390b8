/**
 * BatchCreateJobs and ImportJobs against the real app (DynamoDB Local, the
 * SQS emulator, etcd): each item is judged on its own (a bad one reports its
 * index and field, the good ones are created and fire); idempotency keys make
 * a retried import create nothing twice; the quota's surplus is refused item
 * by item; more than 1,000 items is InvalidArgument naming `jobs`; the REST
 * path; a client-streamed import over gRPC.
 */

import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import {
  type CreateJobRequestSchema,
  ImportJobsRequestSchema,
  JobImportStatus,
} from "../../../gen/chronoring/v1/job_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { failure, jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const BODY_LIMIT = 65_536;
const noop = { kind: { case: "noop" as const, value: {} } };
const everySecond = { kind: { case: "cron" as const, value: "* * * * * *" } };
const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" } };

type Item = Exclude<MessageInitShape<typeof CreateJobRequestSchema>, { $typeName: string }>;
const item = (name: string, owner: string, extra: Partial<Item> = {}): Item => ({
  name,
  owner,
  schedule: yearly,
  target: noop,
  ...extra,
});

describe("BatchCreateJobs and ImportJobs", () => {
  let app: App;
  let quotaApp: App;
  let client: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    // A small body limit: a client stream is held to it per message, not in total.
    const config = testConfig("batch", { API_MAX_BODY_BYTES: String(BODY_LIMIT) });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    client = jobClient(app.apiUrl!);
    quotaApp = await startApp(
      testConfig("batchq", { ROLES: "api", ETCD_ENDPOINTS: "", TENANT_MAX_ACTIVE_SCHEDULES: "3" }),
      { logger: silentLogger },
    );
  });
  afterAll(async () => {
    await app?.close();
    await quotaApp?.close();
  });

  const owned = async (owner: string) => (await client.listJobs({ owner, pageSize: 500 })).jobs;

  it("creates the good items, refuses each bad one with its index and field; the good ones fire", async () => {
    const { results, counts } = await client.batchCreateJobs({
      jobs: [
        item("good-1", "mixed", { schedule: everySecond }),
        item("bad cron", "mixed", { schedule: { kind: { case: "cron", value: "61 * * * *" } } }),
        item("", "mixed"),
        item("good-2", "mixed"),
        item("no target", "mixed", { target: undefined }),
      ],
    });
    expect(counts).toMatchObject({ created: 2n, existing: 0n, refused: 3n });
    expect(results.map((r) => [Number(r.index), r.status])).toEqual([
      [0, JobImportStatus.CREATED],
      [1, JobImportStatus.REFUSED],
      [2, JobImportStatus.REFUSED],
      [3, JobImportStatus.CREATED],
      [4, JobImportStatus.REFUSED],
    ]);
    const refused = results.filter((r) => r.status === JobImportStatus.REFUSED);
    expect(refused.map((r) => [r.code, r.field])).toEqual([
      ["invalid_argument", "schedule.cron"],
      ["invalid_argument", "name"],
      ["invalid_argument", "target"],
    ]);
    for (const r of refused) {
      expect(r.message.startsWith(`${r.field}`)).toBe(true);
      expect(r.jobId).toBe("");
    }
    const ids = results.filter((r) => r.jobId).map((r) => r.jobId);
    expect((await owned("mixed")).map((j) => j.id).sort()).toEqual([...ids].sort());
    // The same item layout as CreateJob: it is due and fires.
    await waitFor(
      "a run of the batch-created job",
      async () => {
        const page = await client.listExecutions({ jobId: ids[0]!, pageSize: 10 });
        return page.executions.some((e) => e.status === ExecutionStatus.SUCCEEDED) || undefined;
      },
      20_000,
    );
  });

  it("re-importing with idempotency keys creates nothing twice", async () => {
    const batch = {
      jobs: [
        item("k-1", "idem", { idempotencyKey: "imp-1" }),
        item("k-2", "idem", { idempotencyKey: "imp-2" }),
        item("k-2 again", "idem", { idempotencyKey: "imp-2" }),
        item("k-1", "idem", { idempotencyKey: "imp-1" }),
        item("unkeyed", "idem-other"),
      ],
    };
    const first = await client.batchCreateJobs(batch);
    expect(first.results.map((r) => r.status)).toEqual([
      JobImportStatus.CREATED,
      JobImportStatus.CREATED,
      JobImportStatus.REFUSED,
      JobImportStatus.EXISTING,
      JobImportStatus.CREATED,
    ]);
    expect(first.results[2]).toMatchObject({ code: "already_exists", field: "idempotency_key" });
    expect(first.results[3]!.jobId).toBe(first.results[0]!.jobId);

    const again = await client.batchCreateJobs({ jobs: batch.jobs.slice(0, 2) });
    expect(again.results.map((r) => [r.status, r.jobId])).toEqual([
      [JobImportStatus.EXISTING, first.results[0]!.jobId],
      [JobImportStatus.EXISTING, first.results[1]!.jobId],
    ]);
    expect(await owned("idem")).toHaveLength(2);
    // A key CreateJob used first is honoured by the batch, and the other way round.
    const single = (await client.createJob(item("k-3", "idem", { idempotencyKey: "imp-3" }))).job!;
    const viaBatch = await client.batchCreateJobs({
      jobs: [item("k-3", "idem", { idempotencyKey: "imp-3" })],
    });
    expect(viaBatch.results[0]).toMatchObject({
      status: JobImportStatus.EXISTING,
      jobId: single.id,
    });
    const back = (await client.createJob(item("k-1", "idem", { idempotencyKey: "imp-1" }))).job!;
    expect(back.id).toBe(first.results[0]!.jobId);
    expect(await owned("idem")).toHaveLength(3);
  });

  it("refuses the items past max_active_schedules with ResourceExhausted, the earliest served", async () => {
    const quota = jobClient(quotaApp.apiUrl!);
    const { results, counts } = await quota.batchCreateJobs({
      jobs: [1, 2, 3, 4, 5].map((i) => item(`q-${i}`, "quota", { idempotencyKey: `q-${i}` })),
    });
    expect(counts).toMatchObject({ created: 3n, refused: 2n });
    expect(results.slice(3).map((r) => [Number(r.index), r.code, r.message])).toEqual([
      [3, "resource_exhausted", "tenant default: active schedules 3 of 3 (max_active_schedules)"],
      [4, "resource_exhausted", "tenant default: active schedules 3 of 3 (max_active_schedules)"],
    ]);
    // The refused items' keys were given back: once a slot is free, they go in.
    const listed = (await quota.listJobs({ owner: "quota", pageSize: 10 })).jobs;
    expect(listed).toHaveLength(3);
    await quota.deleteJob({ id: listed[0]!.id });
    const retry = await quota.batchCreateJobs({
      jobs: [4, 5].map((i) => item(`q-${i}`, "quota", { idempotencyKey: `q-${i}` })),
    });
    expect(retry.results.map((r) => r.status)).toEqual([
      JobImportStatus.CREATED,
      JobImportStatus.REFUSED,
    ]);
    expect(retry.results[1]!.code).toBe("resource_exhausted");
  });

  it("refuses more than 1,000 items, and none, with InvalidArgument naming jobs", async () => {
    const many = Array.from({ length: 1001 }, (_, i) => item(`n-${i}`, "too-many"));
    expect(await failure(() => client.batchCreateJobs({ jobs: many }))).toEqual({
      code: Code.InvalidArgument,
      message:
        "jobs: at most 1000 jobs per call (got 1001); split them, or stream them with ImportJobs",
    });
    expect((await failure(() => client.batchCreateJobs({ jobs: [] })))?.code).toBe(
      Code.InvalidArgument,
    );
    expect(await owned("too-many")).toHaveLength(0);
  });

  it("POST /v1/jobs:batchCreate and /jobs:batchCreate take proto JSON", async () => {
    for (const path of ["/v1/jobs:batchCreate", "/jobs:batchCreate"]) {
      const res = await fetch(`${app.apiUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jobs: [
            {
              name: "rest",
              owner: "rest-batch",
              schedule: { cron: "0 3 * * *" },
              target: { noop: {} },
            },
            {
              name: "rest bad",
              owner: "rest-batch",
              schedule: { cron: "nope" },
              target: { noop: {} },
            },
          ],
        }),
      });
      const body = (await res.json()) as {
        results: Array<{ index?: string; status: string; code?: string; field?: string }>;
        counts: Record<string, string>;
      };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.results.map((r) => r.status)).toEqual([
        "JOB_IMPORT_STATUS_CREATED",
        "JOB_IMPORT_STATUS_REFUSED",
      ]);
      expect(body.results[1]).toMatchObject({ index: "1", code: "invalid_argument" });
      expect(body.counts).toMatchObject({ created: "1", refused: "1" });
    }
    expect(await owned("rest-batch")).toHaveLength(2);
  });

  it("ImportJobs takes a client stream of 2,500 items, larger than the body limit, and answers with the summary", async () => {
    let bytes = 0;
    async function* stream() {
      for (let m = 0; m < 25; m++) {
        const jobs = Array.from({ length: 100 }, (_, i) => {
          const n = m * 100 + i;
          return n === 1234
            ? item("", "stream")
            : item(`s-${n}`, "stream", n % 10 === 0 ? { idempotencyKey: `s-${n}` } : {});
        });
        bytes += toBinary(
          ImportJobsRequestSchema,
          create(ImportJobsRequestSchema, { jobs }),
        ).length;
        yield { jobs };
      }
    }
    const answer = await client.importJobs(stream());
    expect(bytes).toBeGreaterThan(BODY_LIMIT);
    expect(answer.counts).toMatchObject({ created: 2499n, existing: 0n, refused: 1n });
    expect(answer.refused.map((r) => [Number(r.index), r.field])).toEqual([[1234, "name"]]);
    const again = await client.importJobs(
      (async function* () {
        yield { jobs: [item("s-0", "stream", { idempotencyKey: "s-0" })] };
      })(),
    );
    expect(again.counts).toMatchObject({ created: 0n, existing: 1n, refused: 0n });
  });
});
