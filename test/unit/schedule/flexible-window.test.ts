/**
 * A schedule's flexible window: its checks (1 s to 15 min, at most the
 * schedule's period, not with jitter; one-time schedules allowed), that it
 * moves no fire time, and PreviewSchedule's window end and note.
 */

import { describe, expect, it } from "vitest";
import type { Schedule } from "../../../src/core/job.js";
import { windowText } from "../../../src/core/schedule/flexible-window.js";
import {
  explainFires,
  parseSchedule,
  type ScheduleInput,
} from "../../../src/core/schedule/index.js";

const NOW = Date.parse("2026-01-05T12:00:00Z");

function schedule(input: ScheduleInput): Schedule {
  return parseSchedule(input, NOW);
}

function rejects(input: ScheduleInput, message: RegExp) {
  expect(() => parseSchedule(input, NOW)).toThrowError(message);
}

describe("flexible window validation", () => {
  it("stores the window of a cron, an interval and a one-time schedule", () => {
    expect(schedule({ cron: "0 * * * *", flexibleWindowMs: 60_000 }).flexibleWindowMs).toBe(60_000);
    expect(schedule({ interval: "10s", flexibleWindowMs: 10_000 }).flexibleWindowMs).toBe(10_000);
    expect(schedule({ at: NOW + 60_000, flexibleWindowMs: 900_000 }).flexibleWindowMs).toBe(
      900_000,
    );
  });

  it("stores no window for 0 or none", () => {
    expect(schedule({ cron: "* * * * *", flexibleWindowMs: 0 })).not.toHaveProperty(
      "flexibleWindowMs",
    );
    expect(schedule({ cron: "* * * * *" })).not.toHaveProperty("flexibleWindowMs");
  });

  it("refuses a window under 1 s or over 15 min, naming schedule.flexible_window", () => {
    rejects(
      { cron: "0 * * * *", flexibleWindowMs: 999 },
      /^schedule\.flexible_window: must be between 1 s and 15 min/,
    );
    rejects(
      { cron: "0 * * * *", flexibleWindowMs: 900_001 },
      /^schedule\.flexible_window: must be between 1 s and 15 min/,
    );
    rejects(
      { cron: "0 * * * *", flexibleWindowMs: 1.5 },
      /^schedule\.flexible_window: must be a whole/,
    );
  });

  it("refuses a window longer than the schedule's period (a job's runs start in order)", () => {
    rejects(
      { interval: "10s", flexibleWindowMs: 10_001 },
      /^schedule\.flexible_window: must be at most the schedule's period \(10000 ms\)/,
    );
    // The shortest gap of an irregular cron counts: 0 and 5 past the hour.
    rejects({ cron: "0,5 * * * *", flexibleWindowMs: 6 * 60_000 }, /period \(300000 ms\)/);
    expect(schedule({ cron: "* * * * *", flexibleWindowMs: 60_000 }).flexibleWindowMs).toBe(60_000);
  });

  it("refuses a window together with jitter: both spread runs", () => {
    rejects(
      { cron: "0 * * * *", jitterMs: 5_000, flexibleWindowMs: 60_000 },
      /^schedule\.flexible_window: cannot be combined with schedule\.jitter/,
    );
  });
});

describe("flexible window in the evaluator and PreviewSchedule", () => {
  it("moves no fire time: the runs keep their nominal times", () => {
    const plain = explainFires(schedule({ cron: "0 * * * *" }), NOW, 3, {});
    const flex = explainFires(
      schedule({ cron: "0 * * * *", flexibleWindowMs: 60_000 }),
      NOW,
      3,
      {},
    );
    expect(flex.fires.map((f) => f.utcMs)).toEqual(plain.fires.map((f) => f.utcMs));
  });

  it("shows each time's window end, with a note", () => {
    const s = schedule({ cron: "0 9 * * *", timeZone: "Europe/Berlin", flexibleWindowMs: 90_000 });
    const [first] = explainFires(s, NOW, 1, { jobId: "job_aaaaaaaaaaaaaaaaaaaaaaaaaa" }).fires;
    expect(first?.local).toBe("2026-01-06T09:00:00.000+01:00");
    expect(first?.windowEndMs).toBe(first!.utcMs + 90_000);
    expect(first?.notes).toEqual([
      "flexible window 1 min 30 s: starts at a time the scheduler picks before 2026-01-06T09:01:30.000+01:00, spread evenly with the other runs due at this time",
    ]);
    expect(explainFires(schedule({ cron: "0 9 * * *" }), NOW, 1, {}).fires[0]).not.toHaveProperty(
      "windowEndMs",
    );
  });

  it("writes windows as people do", () => {
    expect(windowText(1_000)).toBe("1 s");
    expect(windowText(1_500)).toBe("1.5 s");
    expect(windowText(60_000)).toBe("1 min");
    expect(windowText(900_000)).toBe("15 min");
  });
});
