/**
 * Backfills in core over the memory stores: what a dry run lists in each
 * mode and order (and that it writes nothing), each bad input's field, and
 * the driver's steps: at most max_concurrent out, each hole sent once as
 * attempt 1 on the LOW queue, a run not started sent again only after the
 * start timeout, a step that lost its write sends nothing, cancel, a
 * cancelled job, and DONE with its counts.
 */

import { describe, expect, it } from "vitest";
import type { BackfillRequest } from "../../../src/core/backfill/index.js";
import { parseSchedule } from "../../../src/core/schedule/index.js";
import {
  backfillSetup,
  CALLER,
  MIN,
  type PastRun,
  START_TIMEOUT_MS,
  T0,
} from "../../support/backfills.js";
import { makeJob } from "../../support/jobs.js";

const PAST: PastRun[] = ["ok", "none", "failed", "none", "dead", "ok", "none", "ok"];

function request(jobId: string, more: Partial<BackfillRequest> = {}): BackfillRequest {
  return {
    jobId,
    fromMs: T0,
    toMs: T0 + PAST.length * MIN,
    mode: "MISSING",
    maxConcurrent: 0,
    dryRun: false,
    ...more,
  };
}

async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = err as { kind?: string; field?: string };
    return e.kind === "invalid_argument" ? `invalid_argument ${e.field}` : String(e.kind);
  }
  return "accepted";
}

describe("a backfill's selection (dry run)", () => {
  it("lists the holes (MISSING), the failed runs (FAILED) or every time (ALL), and writes nothing", async () => {
    const { commands, job, store, queue } = await backfillSetup(PAST);
    const at = (i: number) => T0 + i * MIN;
    const dry = (more: Partial<BackfillRequest>) =>
      commands.start(CALLER, request(job.id, { dryRun: true, ...more }));
    const missing = await dry({});
    expect(missing.backfill).toBeUndefined();
    expect(missing.nominalTotal).toBe(PAST.length);
    expect(missing.runs.map((r) => [r.fireMs, r.attempt])).toEqual([
      [at(1), 1],
      [at(3), 1],
      [at(6), 1],
    ]);
    expect(missing.selected).toBe(3);
    const failed = await dry({ mode: "FAILED", order: "NEWEST_FIRST" });
    expect(failed.runs.map((r) => [r.fireMs, r.attempt, r.lastStatus])).toEqual([
      [at(4), 2, "DEAD"],
      [at(2), 2, "FAILED"],
    ]);
    const all = await dry({ mode: "ALL" });
    expect(all.runs.map((r) => r.attempt)).toEqual([2, 1, 2, 1, 2, 2, 1, 2]);
    expect(await store.listActive(10)).toEqual([]);
    expect((await queue.depth()).visible).toBe(0);
  });

  // 10,000 nominal times are counted, twice: seconds on a loaded machine.
  it("names each bad input's field; an unknown or another tenant's job is not_found", {
    timeout: 60_000,
  }, async () => {
    const { commands, job, clock, jobs } = await backfillSetup(PAST);
    const now = clock.now();
    const bad: Array<[Partial<BackfillRequest>, string]> = [
      [{ jobId: "nope" }, "invalid_argument job_id"],
      [{ fromMs: undefined }, "invalid_argument from"],
      [{ toMs: undefined }, "invalid_argument to"],
      [{ fromMs: T0 + MIN, toMs: T0 + MIN }, "invalid_argument to"],
      [{ toMs: now + 1 }, "invalid_argument to"],
      [{ mode: undefined }, "invalid_argument mode"],
      [{ maxConcurrent: 101 }, "invalid_argument max_concurrent"],
      [{ fromMs: T0 + 10_000, toMs: T0 + 50_000 }, "failed_precondition"],
      [{ jobId: `job_${"0".repeat(26)}` }, "not_found"],
      [{ maxConcurrent: 100 }, "accepted"],
    ];
    for (const [more, want] of bad) {
      expect(
        await refusal(commands.start(CALLER, request(job.id, more))),
        JSON.stringify(more),
      ).toBe(want);
    }
    // Every second: 10,001 seconds hold one nominal time too many.
    const busy = makeJob(8, { schedule: parseSchedule({ cron: "* * * * * *" }, T0) });
    await jobs.createJob(busy);
    const long = request(busy.id, { fromMs: now - 10_001_000, toMs: now });
    expect(await refusal(commands.start(CALLER, long))).toBe("invalid_argument to");
    const most = request(busy.id, { fromMs: now - 10_000_000, toMs: now, dryRun: true });
    expect((await commands.start(CALLER, most)).nominalTotal).toBe(10_000);
    const other = { tenant: "globex", subject: "x" };
    expect(await refusal(commands.start(other, request(job.id)))).toBe("not_found");
    await jobs.updateJob("default", job.id, { status: "CANCELLED" }, {}, now);
    expect(await refusal(commands.start(CALLER, request(job.id)))).toBe("failed_precondition");
  });
});

describe("the driver's steps", () => {
  it("sends each hole once, as attempt 1 on LOW, at most max_concurrent at a time, then is DONE", async () => {
    const s = await backfillSetup(PAST);
    const { backfill } = await s.commands.start(CALLER, request(s.job.id, { maxConcurrent: 2 }));
    expect(backfill).toMatchObject({ state: "RUNNING", counts: { selected: 3, sent: 0 } });
    const id = backfill!.id;
    let b = await s.step(id);
    const first = await s.sentRuns();
    expect(
      first.map((d) => [d.run.scheduledMs, d.run.attempt, d.priority, d.run.backfillId]),
    ).toEqual([
      [T0 + MIN, 1, "LOW", id],
      [T0 + 3 * MIN, 1, "LOW", id],
    ]);
    expect(b.inFlight).toHaveLength(2);
    // Nothing started yet, the start timeout not passed: nothing more, nothing again.
    b = await s.step(id);
    expect(await s.sentRuns()).toEqual([]);
    for (const d of first) await s.work(d);
    b = await s.step(id);
    expect(b.counts).toMatchObject({ sent: 3, started: 2, succeeded: 2 });
    const second = await s.sentRuns();
    expect(second.map((d) => d.run.scheduledMs)).toEqual([T0 + 6 * MIN]);
    await s.work(second[0]!, "FAILED");
    b = await s.step(id);
    expect(b).toMatchObject({
      state: "DONE",
      counts: { selected: 3, sent: 3, started: 3, succeeded: 2, failed: 1, skipped: 0 },
      inFlight: [],
    });
    expect(await s.store.listActive(10)).toEqual([]);
    // The ledger of those times now has a run each: a second MISSING backfill finds none.
    const again = await s.commands.start(CALLER, request(s.job.id, { dryRun: true }));
    expect(again.selected).toBe(0);
  });

  it("sends a run again only when it has not started a start timeout after its send", async () => {
    const s = await backfillSetup(PAST);
    const { backfill } = await s.commands.start(CALLER, request(s.job.id, { maxConcurrent: 1 }));
    const id = backfill!.id;
    await s.step(id);
    const [sent] = await s.sentRuns();
    s.clock.advance(START_TIMEOUT_MS - 1);
    await s.step(id);
    expect(await s.sentRuns()).toEqual([]);
    s.clock.advance(1);
    const b = await s.step(id);
    const again = await s.sentRuns();
    expect(again.map((d) => [d.run.scheduledMs, d.run.attempt])).toEqual([
      [sent!.run.scheduledMs, sent!.run.attempt],
    ]);
    expect(b.counts.sent).toBe(1);
  });

  it("a step that lost its write (a cancel came first) sends nothing; a cancel stops new sends", async () => {
    const s = await backfillSetup(PAST);
    const { backfill } = await s.commands.start(CALLER, request(s.job.id, { maxConcurrent: 1 }));
    const id = backfill!.id;
    await s.step(id);
    const [out] = await s.sentRuns();
    await s.work(out!);
    // Read before the cancel: its step would send the next hole.
    const read = (await s.store.get("default", id))!;
    const cancelled = await s.commands.cancel({ tenant: "default", subject: "op" }, id);
    expect(cancelled).toMatchObject({ state: "CANCELLED", cancelledBy: "op" });
    expect(cancelled.counts.skipped).toBe(2);
    expect(await s.advance.step(read, 100)).toBeUndefined();
    expect(await s.sentRuns()).toEqual([]);
    const b = await s.step(id);
    expect(await s.sentRuns()).toEqual([]);
    expect(b).toMatchObject({
      state: "CANCELLED",
      counts: { sent: 1, succeeded: 1 },
      inFlight: [],
    });
    expect((await s.commands.cancel(CALLER, id)).state).toBe("CANCELLED");
    expect(await s.store.listActive(10)).toEqual([]);
  });

  it("ends FAILED when its job is cancelled, and holds its sends while the job is paused", async () => {
    const s = await backfillSetup(PAST);
    const { backfill } = await s.commands.start(CALLER, request(s.job.id));
    const id = backfill!.id;
    const now = s.clock.now();
    await s.jobs.updateJob("default", s.job.id, { status: "PAUSED" }, {}, now);
    let b = await s.step(id);
    expect(b.counts.sent).toBe(0);
    await s.jobs.updateJob("default", s.job.id, { status: "CANCELLED" }, {}, now);
    b = await s.step(id);
    expect(b).toMatchObject({ state: "FAILED", error: `job ${s.job.id} was cancelled` });
    expect(await refusal(s.commands.cancel(CALLER, id))).toBe("failed_precondition");
  });

  it("runs a failed time again as its next attempt (FAILED), newest first", async () => {
    const s = await backfillSetup(PAST);
    const { backfill } = await s.commands.start(
      CALLER,
      request(s.job.id, { mode: "FAILED", order: "NEWEST_FIRST", maxConcurrent: 5 }),
    );
    await s.step(backfill!.id);
    const sent = await s.sentRuns();
    expect(sent.map((d) => `${d.run.scheduledMs - T0}:${d.run.attempt}`)).toEqual([
      `${4 * MIN}:2`,
      `${2 * MIN}:2`,
    ]);
  });
});
