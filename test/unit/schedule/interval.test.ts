import { describe, expect, it } from "vitest";
import type { Schedule } from "../../../src/core/job.js";
import {
  firstRun,
  nextRunAfter,
  parseSchedule,
  scheduleZone,
  upcoming,
} from "../../../src/core/schedule/index.js";

const NOW = Date.parse("2026-03-29T00:00:00Z");
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const periodOf = (interval: string) => {
  const s = parseSchedule({ interval }, NOW);
  if (s.kind !== "interval") throw new Error("not an interval");
  return s.periodMs;
};

describe("interval syntax", () => {
  it.each<[string, number]>([
    ["rate(1 second)", SECOND],
    ["rate(30 seconds)", 30 * SECOND],
    ["rate(1 minute)", MINUTE],
    ["rate(5 minutes)", 5 * MINUTE],
    ["rate(1 hour)", HOUR],
    ["rate(12 hours)", 12 * HOUR],
    ["rate(1 day)", DAY],
    ["rate(7 days)", 7 * DAY],
    ["RATE( 2 Hours )", 2 * HOUR],
    ["rate(2 minute)", 2 * MINUTE],
    ["rate(1 minutes)", MINUTE],
    ["rate(365 days)", 365 * DAY],
  ])("reads the AWS rate form %s", (source, period) => {
    expect(periodOf(source)).toBe(period);
  });

  it.each<[string, number]>([
    ["1000ms", SECOND],
    ["1500ms", 1500],
    ["90s", 90 * SECOND],
    ["15m", 15 * MINUTE],
    ["2h", 2 * HOUR],
    ["1d", DAY],
    ["1h30m", 90 * MINUTE],
    ["1d12h", 36 * HOUR],
    ["1m30s500ms", 90_500],
    ["365d", 365 * DAY],
  ])("reads the plain period %s", (source, period) => {
    expect(periodOf(source)).toBe(period);
  });
});

describe("interval runs", () => {
  const every15m: Schedule = {
    kind: "interval",
    source: "15m",
    periodMs: 15 * MINUTE,
    anchorMs: NOW,
  };

  it("runs at anchor + k * period, strictly after the given instant", () => {
    expect(nextRunAfter(every15m, NOW - 1)).toBe(NOW);
    expect(nextRunAfter(every15m, NOW)).toBe(NOW + 15 * MINUTE);
    expect(nextRunAfter(every15m, NOW + 1)).toBe(NOW + 15 * MINUTE);
    expect(nextRunAfter(every15m, NOW + 15 * MINUTE - 1)).toBe(NOW + 15 * MINUTE);
    expect(nextRunAfter(every15m, NOW + 15 * MINUTE)).toBe(NOW + 30 * MINUTE);
    expect(nextRunAfter(every15m, NOW - 10 * DAY)).toBe(NOW);
  });

  it("fires at creation when created without a start", () => {
    const s = parseSchedule({ interval: "rate(5 minutes)" }, NOW);
    expect(firstRun(s, NOW)).toBe(NOW);
    expect(upcoming(s, NOW, 3)).toEqual([NOW + 5 * MINUTE, NOW + 10 * MINUTE, NOW + 15 * MINUTE]);
  });

  it("keeps the phase of a start in the past when resumed later", () => {
    const start = NOW - 7 * MINUTE;
    const s = parseSchedule({ interval: "5m", startMs: start }, NOW);
    expect(firstRun(s, NOW)).toBe(start + 10 * MINUTE);
  });

  it("does not run before the start or after the end (both inclusive)", () => {
    const start = NOW + HOUR;
    const end = NOW + 2 * HOUR;
    const s = parseSchedule({ interval: "30m", startMs: start, endMs: end }, NOW);
    expect(firstRun(s, NOW)).toBe(start);
    expect(upcoming(s, NOW, 10)).toEqual([start, start + 30 * MINUTE, end]);
    expect(nextRunAfter(s, end)).toBeUndefined();
  });

  it("honours a start that is off the anchor's phase", () => {
    const s: Schedule = { ...every15m, startMs: NOW + 20 * MINUTE };
    expect(nextRunAfter(s, NOW)).toBe(NOW + 30 * MINUTE);
  });

  it("ignores DST: an hourly interval keeps exact UTC hours across Europe/Berlin spring forward", () => {
    const s = parseSchedule({ interval: "rate(1 hour)" }, Date.parse("2026-03-28T23:00:00Z"));
    expect(
      upcoming(s, Date.parse("2026-03-28T23:30:00Z"), 4).map((t) => new Date(t).toISOString()),
    ).toEqual([
      "2026-03-29T00:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T02:00:00.000Z",
      "2026-03-29T03:00:00.000Z",
    ]);
    expect(scheduleZone(s)).toBe("UTC");
  });

  it("handles non-integer instants as strictly after", () => {
    expect(nextRunAfter(every15m, NOW + 15 * MINUTE - 0.5)).toBe(NOW + 15 * MINUTE);
  });
});

describe("once", () => {
  const at = Date.parse("2026-04-01T09:00:00Z");
  const once: Schedule = { kind: "once", at };

  it("fires at its instant and then never again", () => {
    expect(nextRunAfter(once, at - 1)).toBe(at);
    expect(nextRunAfter(once, at)).toBeUndefined();
    expect(upcoming(once, 0, 5)).toEqual([at]);
  });

  it("has a first run at its instant even when that is in the past", () => {
    expect(firstRun(once, at + DAY)).toBe(at);
    expect(nextRunAfter(once, at + DAY)).toBeUndefined();
  });

  it("is read in UTC", () => {
    expect(scheduleZone(once)).toBe("UTC");
  });

  it("lists nothing for a count of zero", () => {
    expect(upcoming(once, 0, 0)).toEqual([]);
  });
});
