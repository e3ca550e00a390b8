/**
 * The pure time policies: misfire catch-up plans, jitter, calendars (SKIP and
 * ROLL_FORWARD, with DST), PreviewSchedule's explanations, and the
 * validation of every new field.
 */

import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import type { Schedule } from "../../../src/core/job.js";
import {
  explainFires,
  type FireContext,
  firstFire,
  formatLocal,
  jitterOffset,
  nextFire,
  normaliseExclusions,
  parseSchedule,
  planCatchUp,
  type ScheduleInput,
} from "../../../src/core/schedule/index.js";
import type { CalendarRules } from "../../../src/core/time-policy.js";

const NOW = Date.parse("2026-01-05T12:00:00Z");
const MIN = 60_000;
const BERLIN = "Europe/Berlin";

const at = (local: string) => DateTime.fromISO(local, { setZone: true }).toMillis();

function schedule(input: ScheduleInput, nowMs = NOW): Schedule {
  return parseSchedule(input, nowMs);
}

function fires(s: Schedule, afterMs: number, count: number, ctx: FireContext): string[] {
  const out: string[] = [];
  let after = afterMs;
  for (let i = 0; i < count; i++) {
    const t = nextFire(s, after, ctx);
    if (t === undefined) break;
    out.push(formatLocal(t, s.kind === "cron" ? s.timeZone : "UTC"));
    after = t;
  }
  return out;
}

function calendar(dates: string[], weekdays: number[] = []): CalendarRules {
  return { name: "holidays", ...normaliseExclusions(dates, weekdays) };
}

function rejects(input: ScheduleInput, field: string, nowMs = NOW) {
  expect(() => parseSchedule(input, nowMs)).toThrowError(
    new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}: `),
  );
}

describe("validation of the new schedule fields", () => {
  it("stores misfire defaults: FIRE_ONCE, 60 s threshold", () => {
    const s = schedule({ interval: "1m", misfire: {} });
    expect(s.misfire).toEqual({
      mode: "FIRE_ONCE",
      maxCatchUp: 10,
      windowMs: 3_600_000,
      thresholdMs: 60_000,
    });
    expect(schedule({ interval: "1m" }).misfire).toBeUndefined();
  });

  it.each<[string, ScheduleInput, string]>([
    [
      "max_catch_up without FIRE_ALL",
      { interval: "1m", misfire: { mode: "SKIP", maxCatchUp: 3 } },
      "schedule.misfire.max_catch_up",
    ],
    [
      "window without FIRE_ALL",
      { interval: "1m", misfire: { windowMs: MIN } },
      "schedule.misfire.window",
    ],
    [
      "max_catch_up over 1000",
      { interval: "1m", misfire: { mode: "FIRE_ALL", maxCatchUp: 1001 } },
      "schedule.misfire.max_catch_up",
    ],
    [
      "a window over 7 days",
      { interval: "1m", misfire: { mode: "FIRE_ALL", windowMs: 8 * 86_400_000 } },
      "schedule.misfire.window",
    ],
    [
      "a threshold under 1 s",
      { interval: "1m", misfire: { thresholdMs: 500 } },
      "schedule.misfire.threshold",
    ],
    ["jitter on a one-time job", { afterMs: MIN, jitterMs: 1000 }, "schedule.jitter"],
    ["jitter as long as an interval", { interval: "1m", jitterMs: MIN }, "schedule.jitter"],
    [
      "jitter longer than a cron's shortest gap",
      { cron: "0 9,10 * * *", jitterMs: 2 * 3_600_000 },
      "schedule.jitter",
    ],
    [
      "a calendar on a one-time job",
      { afterMs: MIN, calendar: { name: "x" } },
      "schedule.calendar",
    ],
    [
      "a calendar name with capitals",
      { interval: "1m", calendar: { name: "Holidays" } },
      "schedule.calendar.name",
    ],
    [
      "an empty calendar name",
      { interval: "1m", calendar: { name: "" } },
      "schedule.calendar.name",
    ],
    [
      "a calendar name over 64 characters",
      { interval: "1m", calendar: { name: "a".repeat(65) } },
      "schedule.calendar.name",
    ],
  ])("rejects %s", (_, input, field) => rejects(input, field));

  it("accepts jitter shorter than the shortest cron gap", () => {
    expect(schedule({ cron: "0 9,10 * * *", jitterMs: 30 * MIN }).jitterMs).toBe(30 * MIN);
  });

  it("checks jitter against each schedule's own gap, asked in turn with the same first run (gaps are remembered by schedule and first run)", () => {
    // Both first run at 12:00 (NOW); an hour apart, then two.
    for (let i = 0; i < 2; i++) {
      rejects({ cron: "0 * * * *", jitterMs: 90 * MIN }, "schedule.jitter");
      expect(schedule({ cron: "0 */2 * * *", jitterMs: 90 * MIN }).jitterMs).toBe(90 * MIN);
    }
  });

  it.each<[string, string[], number[], string]>([
    ["an impossible date", ["2026-02-30"], [], "calendar.excluded_dates[0]"],
    ["a date in another format", ["2026-01-01", "01/02/2026"], [], "calendar.excluded_dates[1]"],
    ["every weekday", [], [0, 1, 2, 3, 4, 5, 6], "calendar.excluded_weekdays"],
  ])("a calendar with %s is InvalidArgument on %s", (_, dates, weekdays, field) => {
    expect(() => normaliseExclusions(dates, weekdays)).toThrowError(
      new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}: `),
    );
  });

  it("normalises excluded dates: sorted, unique", () => {
    expect(normaliseExclusions(["2026-12-26", "2026-12-25", "2026-12-26"], [6, 0, 6])).toEqual({
      excludedDates: ["2026-12-25", "2026-12-26"],
      excludedWeekdays: [0, 6],
    });
  });
});

describe("calendars", () => {
  const daily = (mode: "SKIP" | "ROLL_FORWARD") =>
    schedule({ cron: "0 9 * * *", timeZone: BERLIN, calendar: { name: "holidays", mode } });
  const xmas = calendar(["2026-12-25", "2026-12-26"]);

  it("SKIP drops the runs of excluded local dates", () => {
    expect(fires(daily("SKIP"), at("2026-12-24T10:00:00+01:00"), 2, { calendar: xmas })).toEqual([
      "2026-12-27T09:00:00.000+01:00",
      "2026-12-28T09:00:00.000+01:00",
    ]);
  });

  it("ROLL_FORWARD onto a regular run fires once", () => {
    expect(
      fires(daily("ROLL_FORWARD"), at("2026-12-24T10:00:00+01:00"), 2, { calendar: xmas }),
    ).toEqual(["2026-12-27T09:00:00.000+01:00", "2026-12-28T09:00:00.000+01:00"]);
  });

  it("ROLL_FORWARD moves a weekly run to the next business day", () => {
    const s = schedule({
      cron: "0 9 * * 6",
      timeZone: BERLIN,
      calendar: { name: "holidays", mode: "ROLL_FORWARD" },
    });
    const weekends = calendar([], [0, 6]);
    expect(fires(s, at("2026-01-01T00:00:00+01:00"), 2, { calendar: weekends })).toEqual([
      "2026-01-05T09:00:00.000+01:00",
      "2026-01-12T09:00:00.000+01:00",
    ]);
  });

  it("a roll reaching a run already passed still fires once (looks back over the excluded block)", () => {
    const s = schedule({
      cron: "0 9,17 * * 5",
      timeZone: BERLIN,
      calendar: { name: "holidays", mode: "ROLL_FORWARD" },
    });
    // Friday 2026-01-09 excluded: both runs roll to Saturday.
    const cal = calendar(["2026-01-09"]);
    const sat9 = at("2026-01-10T09:00:00+01:00");
    expect(fires(s, sat9, 1, { calendar: cal })).toEqual(["2026-01-10T17:00:00.000+01:00"]);
  });

  it("a job created on an excluded day after its run there does not inherit that run", () => {
    const s = schedule({
      cron: "0 9 * * 6",
      timeZone: BERLIN,
      calendar: { name: "holidays", mode: "ROLL_FORWARD" },
    });
    const weekends = calendar([], [0, 6]);
    const saturdayNoon = at("2026-01-10T12:00:00+01:00");
    const first = firstFire(s, saturdayNoon, { calendar: weekends })!;
    expect(formatLocal(first, BERLIN)).toBe("2026-01-19T09:00:00.000+01:00");
    // A fired run's successor still sees rolls from the block behind it.
    expect(formatLocal(nextFire(s, saturdayNoon, { calendar: weekends })!, BERLIN)).toBe(
      "2026-01-12T09:00:00.000+01:00",
    );
  });

  it("rolling onto a DST day: a local time in the gap fires at the gap's end", () => {
    const s = schedule({
      cron: "30 2 * * 6",
      timeZone: BERLIN,
      calendar: { name: "holidays", mode: "ROLL_FORWARD" },
    });
    const cal = calendar(["2026-03-28"]);
    expect(fires(s, at("2026-03-27T00:00:00+01:00"), 2, { calendar: cal })).toEqual([
      "2026-03-29T03:00:00.000+02:00",
      "2026-04-04T02:30:00.000+02:00",
    ]);
    const e = explainFires(s, at("2026-03-27T00:00:00+01:00"), 1, { calendar: cal });
    expect(e.removed).toEqual([
      {
        utcMs: at("2026-03-28T02:30:00+01:00"),
        local: "2026-03-28T02:30:00.000+01:00",
        reason:
          '2026-03-28 is excluded by calendar "holidays"; rolled to 2026-03-29T03:00:00.000+02:00',
      },
    ]);
    expect(e.fires[0]?.notes.join("\n")).toMatch(/calendar: rolled from 2026-03-28T02:30/);
    expect(e.fires[0]?.notes.join("\n")).toMatch(/DST gap: 02:30 does not exist on 2026-03-29/);
  });

  it("a job naming a calendar that is not loaded fires as if no date were excluded", () => {
    expect(fires(daily("SKIP"), at("2026-12-24T10:00:00+01:00"), 1, {})).toEqual([
      "2026-12-25T09:00:00.000+01:00",
    ]);
  });
});

describe("jitter", () => {
  const s = schedule({ interval: "10m", startMs: NOW, jitterMs: 5 * MIN });

  it("is deterministic per (job id, time), within [0, jitter)", () => {
    for (let i = 0; i < 200; i++) {
      const off = jitterOffset(`job_${i}`, NOW + i * 600_000, 5 * MIN);
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off).toBeLessThan(5 * MIN);
      expect(jitterOffset(`job_${i}`, NOW + i * 600_000, 5 * MIN)).toBe(off);
    }
    expect(jitterOffset("job_a", NOW, 5 * MIN)).not.toBe(jitterOffset("job_b", NOW, 5 * MIN));
  });

  it("each run fires at its nominal time plus its offset, and the next follows from the fired instant", () => {
    const ctx = { jobId: "job_x" };
    const first = firstFire(s, NOW, ctx)!;
    expect(first).toBe(NOW + jitterOffset("job_x", NOW, 5 * MIN));
    let t = first;
    for (let k = 1; k <= 50; k++) {
      const next = nextFire(s, t, ctx)!;
      const nominal = NOW + k * 600_000;
      expect(next).toBe(nominal + jitterOffset("job_x", nominal, 5 * MIN));
      t = next;
    }
  });

  it("without a job id (a bare preview) no jitter is applied", () => {
    expect(nextFire(s, NOW, {})).toBe(NOW + 600_000);
  });
});

describe("misfire catch-up plans", () => {
  const every = (misfire?: ScheduleInput["misfire"]) =>
    schedule({ interval: "1m", startMs: NOW - 3_600_000, ...(misfire && { misfire }) });
  const due = NOW - 10 * MIN; // runs at -10 … 0 min: 11 due

  it("a run late by less than the threshold is claimed as usual", () => {
    expect(planCatchUp(every(), NOW - 59_000, NOW, {})).toBeUndefined();
    expect(planCatchUp(every({ thresholdMs: 5 * MIN }), due + 6 * MIN, NOW, {})).toBeUndefined();
  });

  it("SKIP fires nothing and jumps to the first run after now", () => {
    expect(planCatchUp(every({ mode: "SKIP" }), due, NOW, {})).toEqual({
      runs: [],
      missed: 11,
      nextRunMs: NOW + MIN,
    });
  });

  it("FIRE_ONCE (the default) fires the most recent missed run", () => {
    expect(planCatchUp(every(), due, NOW, {})).toEqual({
      runs: [NOW],
      missed: 10,
      nextRunMs: NOW + MIN,
    });
  });

  it("FIRE_ALL fires the most recent runs within the window, at most max_catch_up", () => {
    const capped = planCatchUp(every({ mode: "FIRE_ALL", maxCatchUp: 3 }), due, NOW, {});
    expect(capped).toEqual({
      runs: [NOW - 2 * MIN, NOW - MIN, NOW],
      missed: 8,
      nextRunMs: NOW + MIN,
    });
    const windowed = planCatchUp(
      every({ mode: "FIRE_ALL", maxCatchUp: 100, windowMs: 4 * MIN }),
      due,
      NOW,
      {},
    );
    expect(windowed?.runs).toEqual([NOW - 4 * MIN, NOW - 3 * MIN, NOW - 2 * MIN, NOW - MIN, NOW]);
    expect(windowed?.missed).toBe(6);
  });

  it("a late one-time run still fires by default, and is dropped under SKIP", () => {
    const once = schedule({ at: NOW - 3_600_000 }, NOW - 7_200_000);
    expect(planCatchUp(once, once.kind === "once" ? once.at : 0, NOW, {})).toEqual({
      runs: [NOW - 3_600_000],
      missed: 0,
      nextRunMs: undefined,
    });
    const s2 = schedule({ at: NOW - 3_600_000, misfire: { mode: "SKIP" } }, NOW - 7_200_000);
    expect(planCatchUp(s2, NOW - 3_600_000, NOW, {})).toEqual({
      runs: [],
      missed: 1,
      nextRunMs: undefined,
    });
  });

  it("counts a long outage of a frequent cron without walking all of it for FIRE_ONCE", () => {
    const s = schedule({ cron: "* * * * * *", misfire: { mode: "FIRE_ONCE" } }, NOW - 86_400_000);
    const plan = planCatchUp(s, NOW - 3_600_000, NOW, {})!;
    expect(plan.runs).toEqual([NOW]);
    expect(plan.missed).toBe(3600);
  });

  it("applies the calendar while catching up (excluded runs are not counted as missed)", () => {
    const s = schedule(
      {
        cron: "0 9 * * *",
        misfire: { mode: "FIRE_ALL", windowMs: 7 * 86_400_000 },
        calendar: { name: "holidays" },
      },
      NOW - 10 * 86_400_000,
    );
    const cal = calendar(["2026-01-03"]);
    const plan = planCatchUp(s, Date.parse("2026-01-01T09:00:00Z"), NOW, { calendar: cal })!;
    expect(plan.runs.map((t) => new Date(t).toISOString().slice(0, 10))).toEqual([
      "2026-01-01",
      "2026-01-02",
      "2026-01-04",
      "2026-01-05",
    ]);
  });
});

describe("PreviewSchedule explanations", () => {
  it("notes a DST gap and a repeated hour", () => {
    const s = schedule({ cron: "30 2 * * *", timeZone: BERLIN });
    const spring = explainFires(s, at("2026-03-28T12:00:00+01:00"), 2, {});
    expect(spring.fires.map((f) => f.local)).toEqual([
      "2026-03-29T03:00:00.000+02:00",
      "2026-03-30T02:30:00.000+02:00",
    ]);
    expect(spring.fires[0]?.notes).toEqual([
      "DST gap: 02:30 does not exist on 2026-03-29 in Europe/Berlin; fires at 03:00, the first instant after the gap",
    ]);
    expect(spring.fires[1]?.notes).toEqual([]);
    const autumn = explainFires(s, at("2026-10-24T12:00:00+02:00"), 1, {});
    expect(autumn.fires[0]?.local).toBe("2026-10-25T02:30:00.000+02:00");
    expect(autumn.fires[0]?.notes).toEqual([
      "repeated hour: 02:30 occurs twice on 2026-10-25 in Europe/Berlin; fires once, at the first occurrence",
    ]);
  });

  it("lists times a SKIP calendar removed, with the reason", () => {
    const s = schedule({ cron: "0 9 * * *", timeZone: BERLIN, calendar: { name: "holidays" } });
    const e = explainFires(s, at("2026-12-24T10:00:00+01:00"), 1, {
      calendar: calendar(["2026-12-25", "2026-12-26"]),
    });
    expect(e.fires.map((f) => f.local)).toEqual(["2026-12-27T09:00:00.000+01:00"]);
    expect(e.removed.map((r) => [r.local, r.reason])).toEqual([
      ["2026-12-25T09:00:00.000+01:00", '2026-12-25 is excluded by calendar "holidays" (skipped)'],
      ["2026-12-26T09:00:00.000+01:00", '2026-12-26 is excluded by calendar "holidays" (skipped)'],
    ]);
  });

  it("notes jitter when a job id is given", () => {
    const s = schedule({ interval: "10m", startMs: NOW, jitterMs: 5 * MIN });
    const e = explainFires(s, NOW - 1, 2, { jobId: "job_x" });
    expect(e.fires[0]?.notes[0]).toMatch(/^jitter: \+\d+ ms after /);
  });
});
