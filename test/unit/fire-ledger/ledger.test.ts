/**
 * ListFires in core over the memory stores: the range and page checks (each
 * bad input's field), tenant isolation, paging by the next nominal time,
 * and the bounds of what is listed (the job's creation, its cancel).
 */

import { describe, expect, it } from "vitest";
import { createMemoryCalendarStore } from "../../../src/adapters/memory/calendar-store.js";
import { createMemoryExecutionStore } from "../../../src/adapters/memory/execution-store.js";
import { createMemoryJobStore } from "../../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../../src/adapters/memory/memory-db.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { createFireLedger, type LedgerQuery } from "../../../src/core/fire-ledger/index.js";
import { parseSchedule } from "../../../src/core/schedule/index.js";
import { fakeClock } from "../../support/fake-clock.js";
import { makeJob } from "../../support/jobs.js";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = Date.UTC(2026, 5, 1, 12, 0);

async function setup() {
  const db = createMemoryDb();
  const jobs = createMemoryJobStore(db);
  const executions = createMemoryExecutionStore(db);
  const clock = fakeClock(T0 + 10 * MIN);
  const ledger = createFireLedger({
    jobs,
    executions,
    clock,
    calendars: createMemoryCalendarStore(db),
  });
  const job = makeJob(8, {
    schedule: parseSchedule({ interval: "1m", startMs: T0 - 5 * MIN }, T0),
    createdMs: T0,
    nextRunMs: T0 + 11 * MIN,
    lastRunMs: T0 + 10 * MIN,
  });
  await jobs.createJob(job);
  for (let t = T0; t <= T0 + 10 * MIN; t += MIN) {
    await executions.startExecution(
      {
        tenant: DEFAULT_TENANT,
        jobId: job.id,
        partition: job.partition,
        scheduledMs: t,
        attempt: 1,
        manual: false,
      },
      "w",
      t,
    );
  }
  return { ledger, job, jobs, clock };
}

async function fieldOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    return (err as { kind?: string; field?: string }).kind === "invalid_argument"
      ? (err as { field?: string }).field
      : (err as { kind?: string }).kind;
  }
  return "accepted";
}

describe("ListFires in core", () => {
  it("names the bad field of a range or page", async () => {
    const { ledger, job } = await setup();
    const q = (more: Partial<LedgerQuery>): LedgerQuery => ({
      jobId: job.id,
      pageSize: 0,
      ...more,
    });
    expect(await fieldOf(ledger.list("default", q({ jobId: "nope" })))).toBe("job_id");
    expect(await fieldOf(ledger.list("default", q({ fromMs: T0, toMs: T0 })))).toBe("to");
    expect(await fieldOf(ledger.list("default", q({ fromMs: T0 + DAY })))).toBe("from");
    expect(await fieldOf(ledger.list("default", q({ fromMs: T0, toMs: T0 + 32 * DAY })))).toBe(
      "to",
    );
    expect(await fieldOf(ledger.list("default", q({ pageSize: 1001 })))).toBe("page_size");
    expect(await fieldOf(ledger.list("default", q({ pageToken: "x" })))).toBe("page_token");
    expect(await fieldOf(ledger.list("default", q({ fromMs: T0, toMs: T0 + 31 * DAY })))).toBe(
      "accepted",
    );
  });

  it("answers another tenant's job as an unknown one", async () => {
    const { ledger, job } = await setup();
    await expect(ledger.list("globex", { jobId: job.id, pageSize: 0 })).rejects.toMatchObject({
      kind: "not_found",
    });
  });

  it("lists nothing before the job's creation, pages by the next nominal time, counts by outcome", async () => {
    const { ledger, job } = await setup();
    const range = { jobId: job.id, fromMs: T0 - 10 * MIN, toMs: T0 + 13 * MIN };
    const first = await ledger.list("default", { ...range, pageSize: 8 });
    expect(first.fires[0]?.nominalMs).toBe(T0);
    expect(first.fires).toHaveLength(8);
    expect(first.nextFromMs).toBe(T0 + 8 * MIN);
    expect(first.counts).toEqual({ STARTED: 8 });
    const second = await ledger.list("default", {
      ...range,
      pageSize: 8,
      pageToken: String(first.nextFromMs),
    });
    expect(second.fires.map((f) => f.outcome)).toEqual([
      "STARTED",
      "STARTED",
      "STARTED",
      "PENDING",
      "PENDING",
    ]);
    expect(second.nextFromMs).toBeUndefined();
    expect(second.counts).toEqual({ STARTED: 3, PENDING: 2 });
    expect(second.timeZone).toBe("UTC");
  });

  it("ends a cancelled job's ledger at its cancel", async () => {
    const { ledger, job, jobs, clock } = await setup();
    clock.set(T0 + 2 * MIN + 1);
    await jobs.updateJob(
      "default",
      job.id,
      { status: "CANCELLED", nextRunMs: null },
      {},
      clock.now(),
    );
    clock.set(T0 + 30 * MIN);
    const page = await ledger.list("default", {
      jobId: job.id,
      fromMs: T0,
      toMs: T0 + 20 * MIN,
      pageSize: 0,
    });
    expect(page.fires.map((f) => f.nominalMs)).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);
  });
});
