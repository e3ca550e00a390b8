/**
 * Backfills in core over the memory stores, with a fake clock: a job on a
 * one-minute interval whose past times are, as the test wants, succeeded,
 * failed, dead or never run; the commands and one driver's steps; and a
 * worker's part played by hand (start and finish an attempt).
 */

import { createMemoryBackfillStore } from "../../src/adapters/memory/backfill-store.js";
import { createMemoryExecutionStore } from "../../src/adapters/memory/execution-store.js";
import { createMemoryJobStore } from "../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../src/adapters/memory/memory-db.js";
import { createMemoryWorkQueue } from "../../src/adapters/memory/work-queue.js";
import {
  type Backfill,
  createBackfillAdvance,
  createBackfillCommands,
} from "../../src/core/backfill/index.js";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import type { RunRef } from "../../src/core/execution.js";
import type { Delivery } from "../../src/core/ports/work-queue.js";
import { parseSchedule } from "../../src/core/schedule/index.js";
import { fakeClock } from "./fake-clock.js";
import { makeJob } from "./jobs.js";

export const MIN = 60_000;
/** The job's first nominal time; it fires every minute from there. */
export const T0 = Date.UTC(2026, 5, 1, 12, 0);
export const START_TIMEOUT_MS = 30_000;
export const CALLER = { tenant: DEFAULT_TENANT, subject: "ops" };

export type PastRun = "ok" | "failed" | "dead" | "none";

/** A job whose times T0, T0+1m, … ran as `past` says; now is just after the last of them. */
export async function backfillSetup(past: PastRun[]) {
  const db = createMemoryDb();
  const jobs = createMemoryJobStore(db);
  const executions = createMemoryExecutionStore(db);
  const store = createMemoryBackfillStore();
  const clock = fakeClock(T0 + past.length * MIN);
  const queue = createMemoryWorkQueue({ clock, visibilityTimeoutS: 30, maxReceiveCount: 10 });
  const job = makeJob(8, {
    schedule: parseSchedule({ interval: "1m", startMs: T0 }, T0),
    createdMs: T0,
    nextRunMs: T0 + past.length * MIN + MIN,
    lastRunMs: T0 + (past.length - 1) * MIN,
  });
  await jobs.createJob(job);
  const runOf = (scheduledMs: number, attempt: number): RunRef => ({
    tenant: DEFAULT_TENANT,
    jobId: job.id,
    partition: job.partition,
    scheduledMs,
    attempt,
    manual: false,
  });
  for (const [i, what] of past.entries()) {
    if (what === "none") continue;
    const run = runOf(T0 + i * MIN, 1);
    await executions.startExecution(run, "w", run.scheduledMs);
    const id = `${job.id}:${run.scheduledMs}:1`;
    const status = what === "ok" ? "SUCCEEDED" : "FAILED";
    await executions.finishExecution(id, "w", { status, endedMs: run.scheduledMs + 1 });
    if (what === "dead") db.executions.get(id)!.execution.status = "DEAD";
  }
  const commands = createBackfillCommands({ store, jobs, executions, clock });
  const advance = createBackfillAdvance({
    store,
    jobs,
    executions,
    queue,
    clock,
    startTimeoutMs: START_TIMEOUT_MS,
  });

  /** The runs waiting on the LOW queue, taken off it. */
  async function sentRuns(): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (;;) {
      const got = await queue.receive(10, 0, undefined, "LOW");
      if (got.length === 0) return out;
      for (const d of got) await queue.ack(d);
      out.push(...got);
    }
  }

  /** A worker's start and end of a delivered run. */
  async function work(d: Delivery, status: "SUCCEEDED" | "FAILED" = "SUCCEEDED") {
    const run = { ...d.run, tenant: d.run.tenant ?? DEFAULT_TENANT };
    await executions.startExecution(run, "w", clock.now());
    const id = `${run.jobId}:${run.scheduledMs}:${run.attempt}`;
    await executions.finishExecution(id, "w", { status, endedMs: clock.now() });
  }

  /** One driver step of the stored record. */
  async function step(id: string, allowed = 1000): Promise<Backfill> {
    const b = (await store.get(DEFAULT_TENANT, id))!;
    await advance.step(b, allowed);
    return (await store.get(DEFAULT_TENANT, id))!;
  }

  return {
    db,
    jobs,
    executions,
    store,
    clock,
    queue,
    job,
    commands,
    advance,
    sentRuns,
    work,
    step,
  };
}
