/**
 * The fire ledger's classification, one outcome at a time, on the pure
 * functions: nominal times from a schedule (`nominalPage`), then what the
 * stored executions, pauses and the job's claim fields make of them.
 */

import { describe, expect, it } from "vitest";
import { type Execution, executionId } from "../../../src/core/execution.js";
import {
  classifyFires,
  type LedgerFire,
  nominalPage,
  runsByInstant,
} from "../../../src/core/fire-ledger/index.js";
import type { Job, Schedule } from "../../../src/core/job.js";
import {
  jitterOffset,
  parseSchedule,
  type ScheduleInput,
} from "../../../src/core/schedule/index.js";
import type { CalendarRules } from "../../../src/core/time-policy.js";

const JOB_ID = `job_${"a".repeat(26)}`;
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 5, 1, 12, 0); // a Monday

function schedule(input: ScheduleInput, nowMs = T0): Schedule {
  return parseSchedule(input, nowMs);
}

function exec(scheduledMs: number, status: Execution["status"], more: Partial<Execution> = {}) {
  const run = { jobId: JOB_ID, scheduledMs, attempt: more.attempt ?? 1 };
  const e: Execution = {
    ...run,
    id: executionId(run),
    tenant: "default",
    partition: 0,
    manual: false,
    status,
    ...(status === "SKIPPED" || status === "CANCELLED" ? {} : { startedMs: scheduledMs + 100 }),
    ...more,
  };
  return e;
}

interface Setup {
  sched: Schedule;
  from: number;
  to: number;
  now: number;
  executions?: Execution[];
  job?: Partial<Job>;
  calendar?: CalendarRules;
  later?: Execution;
}

function ledger(s: Setup): LedgerFire[] {
  const job = {
    id: JOB_ID,
    schedule: s.sched,
    status: "ACTIVE" as const,
    updatedMs: s.from,
    ...s.job,
  };
  const page = nominalPage(job, s.calendar, s.from, s.to, 1000);
  return classifyFires(page.nominals, runsByInstant(s.executions ?? []), job, s.now, s.later);
}

const outcomes = (fires: LedgerFire[]) => fires.map((f) => f.outcome);

describe("the fire ledger's outcomes", () => {
  const everyMinute = schedule({ interval: "1m", startMs: T0 });

  it("STARTED: the run's execution and its latest attempt's status; TriggerJob runs are not nominal", () => {
    const fires = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 2 * MIN,
      now: T0 + 10 * MIN,
      executions: [
        exec(T0, "FAILED"),
        exec(T0, "SUCCEEDED", { attempt: 2 }),
        exec(T0 + MIN, "RUNNING"),
        exec(T0 + 30_000, "SUCCEEDED", { manual: true }),
      ],
      job: { lastRunMs: T0 + MIN, nextRunMs: T0 + 2 * MIN },
    });
    expect(outcomes(fires)).toEqual(["STARTED", "STARTED"]);
    expect(fires[0]).toMatchObject({
      executionId: `${JOB_ID}:${T0}:1`,
      executionStatus: "SUCCEEDED",
      attempts: 2,
      fireMs: T0,
    });
    expect(fires[1]?.executionStatus).toBe("RUNNING");
  });

  it("HELD: the run waited for quotas or limits, then what followed", () => {
    const wait = { reason: "TENANT_RATE" as const, waitedMs: 4000, resends: 1 };
    const [fire] = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 1,
      now: T0 + HOUR,
      executions: [exec(T0, "SUCCEEDED", { wait })],
    });
    expect(fire).toMatchObject({ outcome: "HELD", wait, executionStatus: "SUCCEEDED" });
  });

  it("SKIPPED_OVERLAP: an execution SKIPPED by the overlap policy, with its reason", () => {
    const [fire] = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 1,
      now: T0 + HOUR,
      executions: [
        exec(T0, "SKIPPED", { error: "the previous run was still running (overlap SKIP)" }),
      ],
    });
    expect(fire?.outcome).toBe("SKIPPED_OVERLAP");
    expect(fire?.notes).toContain("the previous run was still running (overlap SKIP)");
  });

  it("SKIPPED_CALENDAR, and ROLL_FORWARD as STARTED at the rolled time with a note", () => {
    const calendar = { name: "hol", excludedDates: ["2026-06-02"], excludedWeekdays: [] };
    const daily = (mode: "SKIP" | "ROLL_FORWARD") =>
      schedule({ cron: "0 9 * * *", timeZone: "Europe/Berlin", calendar: { name: "hol", mode } });
    const tue = Date.UTC(2026, 5, 2, 7); // 09:00 Berlin on the excluded date
    const wed = tue + 24 * HOUR;
    const skip = ledger({
      sched: daily("SKIP"),
      from: tue - HOUR,
      to: tue + HOUR,
      now: wed + HOUR,
      calendar,
    });
    expect(skip[0]).toMatchObject({ outcome: "SKIPPED_CALENDAR", nominalMs: tue });
    expect(skip[0]?.fireMs).toBeUndefined();
    expect(skip[0]?.notes[0]).toBe('2026-06-02 is excluded by calendar "hol" (skipped)');
    const roll = ledger({
      sched: daily("ROLL_FORWARD"),
      from: tue - HOUR,
      to: tue + HOUR,
      now: wed + HOUR,
      calendar,
      executions: [exec(wed, "SUCCEEDED")],
    });
    expect(roll[0]).toMatchObject({ outcome: "STARTED", nominalMs: tue, fireMs: wed });
    expect(roll[0]?.notes[0]).toMatch(/^calendar: rolled to 2026-06-03T09:00:00.000\+02:00/);
  });

  it("SKIPPED_PAUSED: inside a pause interval, with who paused it and the note", () => {
    const pause = {
      pausedMs: T0 + 30_000,
      by: "alice",
      note: "db migration",
      resumedMs: T0 + 150_000,
    };
    const fires = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 4 * MIN,
      now: T0 + HOUR,
      executions: [exec(T0, "SUCCEEDED"), exec(T0 + 3 * MIN, "SUCCEEDED")],
      job: { pauses: [pause], lastRunMs: T0 + 3 * MIN, nextRunMs: T0 + 61 * MIN },
    });
    expect(outcomes(fires)).toEqual(["STARTED", "SKIPPED_PAUSED", "SKIPPED_PAUSED", "STARTED"]);
    expect(fires[1]?.pause).toEqual(pause);
    expect(fires[1]?.notes).toContain("paused by alice: db migration");
  });

  it("SKIPPED_PAUSED while still paused, also for a pause made before pauses were recorded", () => {
    const fires = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 2 * MIN,
      now: T0 + HOUR,
      job: { status: "PAUSED", updatedMs: T0 - 1 },
    });
    expect(outcomes(fires)).toEqual(["SKIPPED_PAUSED", "SKIPPED_PAUSED"]);
    expect(fires[0]?.pause).toEqual({ pausedMs: T0 - 1, by: "" });
  });

  it("MISSED: past, never run, not paused, with the misfire policy", () => {
    const sched = schedule({ interval: "1m", startMs: T0, misfire: { mode: "SKIP" } });
    const fires = ledger({
      sched,
      from: T0,
      to: T0 + 3 * MIN,
      now: T0 + 10 * MIN,
      executions: [exec(T0 + 2 * MIN, "SUCCEEDED")],
      job: { lastRunMs: T0 + 2 * MIN, nextRunMs: T0 + 11 * MIN },
    });
    expect(outcomes(fires)).toEqual(["MISSED", "MISSED", "STARTED"]);
    expect(fires[0]?.misfire).toMatchObject({ mode: "SKIP", thresholdMs: 60_000 });
    expect(fires[0]?.notes).toContain("not fired in time; dropped (misfire SKIP)");
  });

  it("MERGED: FIRE_ONCE folded the missed times into the catch-up run (also one read after the page)", () => {
    const fires = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 3 * MIN,
      now: T0 + HOUR,
      executions: [exec(T0 + 2 * MIN, "SUCCEEDED")],
      job: { lastRunMs: T0 + 2 * MIN, nextRunMs: T0 + 61 * MIN },
    });
    expect(outcomes(fires)).toEqual(["MERGED", "MERGED", "STARTED"]);
    expect(fires[0]?.executionId).toBe(`${JOB_ID}:${T0 + 2 * MIN}:1`);
    expect(fires[0]?.misfire?.mode).toBe("FIRE_ONCE");
    const tail = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 2 * MIN,
      now: T0 + HOUR,
      later: exec(T0 + 5 * MIN, "SUCCEEDED"),
      job: { lastRunMs: T0 + 5 * MIN, nextRunMs: T0 + 61 * MIN },
    });
    expect(outcomes(tail)).toEqual(["MERGED", "MERGED"]);
    expect(tail[1]?.executionId).toBe(`${JOB_ID}:${T0 + 5 * MIN}:1`);
  });

  it("PENDING: ahead of now, due and not claimed, or claimed moments ago and not started", () => {
    const fires = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 4 * MIN,
      now: T0 + 2 * MIN + 5000,
      executions: [exec(T0, "QUEUED", { startedMs: undefined })],
      job: { lastRunMs: T0 + MIN, nextRunMs: T0 + 2 * MIN },
    });
    expect(outcomes(fires)).toEqual(["PENDING", "PENDING", "PENDING", "PENDING"]);
    expect(fires[0]?.executionId).toBe(`${JOB_ID}:${T0}:1`);
    expect(fires[1]?.notes).toContain("claimed, not yet started");
    expect(fires[2]?.notes).toContain("due, not yet claimed");
  });

  it("FINISHED: after the last run of a job whose remaining_runs are used up, past or ahead; never PENDING", () => {
    const fires = ledger({
      sched: everyMinute,
      from: T0,
      to: T0 + 6 * MIN,
      now: T0 + 3 * MIN + 5000,
      executions: [exec(T0, "SUCCEEDED"), exec(T0 + MIN, "FAILED")],
      job: { status: "FINISHED", lastRunMs: T0 + MIN, remainingRuns: 0 },
    });
    expect(outcomes(fires)).toEqual([
      "STARTED",
      "STARTED",
      "FINISHED",
      "FINISHED",
      "FINISHED",
      "FINISHED",
    ]);
    expect(fires[2]?.notes).toEqual([
      "after the job's last run: its remaining_runs are used up (FINISHED)",
    ]);
    expect(fires[2]?.fireMs).toBe(T0 + 2 * MIN);
  });

  it("applies jitter: the run of a nominal time is found at its jittered instant", () => {
    const sched = schedule({ interval: "1h", startMs: T0, jitterMs: 600_000 });
    const at = T0 + jitterOffset(JOB_ID, T0, 600_000);
    const [fire] = ledger({
      sched,
      from: T0,
      to: T0 + 1,
      now: T0 + 2 * HOUR,
      executions: [exec(at, "SUCCEEDED")],
    });
    expect(fire).toMatchObject({ outcome: "STARTED", nominalMs: T0, fireMs: at });
  });
});

describe("the fire ledger around DST (Europe/Berlin, 2026)", () => {
  const gapDay = Date.UTC(2026, 2, 29); // 02:00 → 03:00 local
  const foldDay = Date.UTC(2026, 9, 25); // 03:00 → 02:00 local
  const at0230 = (dst?: ScheduleInput["dst"]) =>
    schedule(
      { cron: "30 2 * * *", timeZone: "Europe/Berlin", ...(dst ? { dst } : {}) },
      Date.UTC(2026, 0, 1),
    );

  it("DST_SHIFTED: 02:30 does not exist, fired at the gap's end, with the run's data", () => {
    const shifted = gapDay + HOUR; // 03:00+02:00
    const [fire] = ledger({
      sched: at0230(),
      from: gapDay,
      to: gapDay + 12 * HOUR,
      now: gapDay + 24 * HOUR,
      executions: [exec(shifted, "SUCCEEDED")],
    });
    expect(fire).toMatchObject({
      outcome: "DST_SHIFTED",
      fireMs: shifted,
      executionStatus: "SUCCEEDED",
    });
    expect(fire?.notes[0]).toMatch(/^DST gap: 02:30 does not exist on 2026-03-29/);
  });

  it("DST_SKIPPED: the gap policy SKIP drops the reading", () => {
    const fires = ledger({
      sched: at0230({ gap: "SKIP" }),
      from: gapDay,
      to: gapDay + 12 * HOUR,
      now: gapDay + 24 * HOUR,
    });
    expect(outcomes(fires)).toEqual(["DST_SKIPPED"]);
    expect(fires[0]?.notes[0]).toMatch(/skipped \(dst gap SKIP\)$/);
  });

  it("DST_FOLDED: the occurrence of a repeated reading the fold policy does not fire", () => {
    const first = foldDay + 30 * MIN; // 02:30+02:00
    const second = first + HOUR; // 02:30+01:00
    const run = (ms: number) => [exec(ms, "SUCCEEDED")];
    const byDefault = ledger({
      sched: at0230(),
      from: foldDay,
      to: foldDay + 12 * HOUR,
      now: foldDay + 24 * HOUR,
      executions: run(first),
    });
    expect(outcomes(byDefault)).toEqual(["STARTED", "DST_FOLDED"]);
    expect(byDefault[1]?.nominalMs).toBe(second);
    expect(byDefault[1]?.notes[0]).toMatch(/second occurrence does not fire \(dst fold FIRST\)$/);
    const last = ledger({
      sched: at0230({ fold: "LAST" }),
      from: foldDay,
      to: foldDay + 12 * HOUR,
      now: foldDay + 24 * HOUR,
      executions: run(second),
    });
    expect(outcomes(last)).toEqual(["DST_FOLDED", "STARTED"]);
    const both = ledger({
      sched: at0230({ fold: "BOTH" }),
      from: foldDay,
      to: foldDay + 12 * HOUR,
      now: foldDay + 24 * HOUR,
      executions: [...run(first), ...run(second)],
    });
    expect(outcomes(both)).toEqual(["STARTED", "STARTED"]);
  });
});

describe("the fire ledger with a flexible window", () => {
  const windowed = schedule({ interval: "1m", startMs: T0, flexibleWindowMs: 30_000 });

  it("keeps the nominal time as the fire time and notes the planned start and the start after it", () => {
    const fires = ledger({
      sched: windowed,
      from: T0,
      to: T0 + 2 * MIN,
      now: T0 + 10 * MIN,
      executions: [
        exec(T0, "SUCCEEDED", { plannedMs: T0 + 12_000, startedMs: T0 + 12_250 }),
        exec(T0 + MIN, "SUCCEEDED", { plannedMs: T0 + MIN + 29_999, startedMs: T0 + MIN + 30_100 }),
      ],
    });
    expect(outcomes(fires)).toEqual(["STARTED", "STARTED"]);
    expect(fires[0]?.fireMs).toBe(T0);
    expect(fires[0]?.notes).toEqual([
      "flexible window 30 s: planned start 12.000 s into it; started 0.250 s after the planned start",
    ]);
    expect(fires[1]?.notes).toEqual([
      "flexible window 30 s: planned start 29.999 s into it; started 0.101 s after the planned start",
    ]);
  });

  it("a claimed run not started is PENDING for the window longer", () => {
    const fires = ledger({
      sched: schedule({ cron: "0 * * * *", flexibleWindowMs: 15 * MIN }),
      from: T0,
      to: T0 + MIN,
      // Past the 15 min grace of a run without a window.
      now: T0 + 20 * MIN,
      job: { lastRunMs: T0, nextRunMs: T0 + HOUR },
    });
    expect(outcomes(fires)).toEqual(["PENDING"]);
    expect(fires[0]?.notes).toEqual(["claimed, not yet started"]);
  });
});
