import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  formatLocal,
  nextRunAfter,
  parseSchedule,
  upcoming,
} from "../../../src/core/schedule/index.js";

const CREATED = Date.parse("2026-01-01T00:00:00Z");

/** Fires of `source` in `zone` after the local reading `fromLocal`, written in that zone. */
function fires(source: string, zone: string, fromLocal: string, count: number): string[] {
  const from = DateTime.fromISO(fromLocal, { setZone: true }).toMillis();
  const schedule = parseSchedule({ cron: source, timeZone: zone }, CREATED);
  return upcoming(schedule, from, count).map((t) => formatLocal(t, zone));
}

describe("the 2026 transitions these tests rely on (checked with luxon)", () => {
  it.each<[string, string, number, number]>([
    ["Europe/Berlin", "2026-03-29T01:00:00Z", 60, 120],
    ["Europe/Berlin", "2026-10-25T01:00:00Z", 120, 60],
    ["America/New_York", "2026-03-08T07:00:00Z", -300, -240],
    ["America/New_York", "2026-11-01T06:00:00Z", -240, -300],
    ["Australia/Lord_Howe", "2026-10-03T15:30:00Z", 630, 660],
    ["Australia/Lord_Howe", "2026-04-04T15:00:00Z", 660, 630],
    ["Australia/Sydney", "2026-10-03T16:00:00Z", 600, 660],
    ["Australia/Sydney", "2026-04-04T16:00:00Z", 660, 600],
    ["America/Santiago", "2026-09-06T04:00:00Z", -240, -180],
    ["America/Santiago", "2026-04-05T03:00:00Z", -180, -240],
  ])("%s changes offset at %s from %i to %i minutes", (zone, at, before, after) => {
    const t = Date.parse(at);
    expect(DateTime.fromMillis(t - 1, { zone }).offset).toBe(before);
    expect(DateTime.fromMillis(t, { zone }).offset).toBe(after);
  });
});

describe("spring forward: a missing reading fires once, at the first instant after the gap", () => {
  it("Europe/Berlin: 02:30 and 02:00 fire at 03:00+02:00 (01:00Z)", () => {
    expect(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00", 3)).toEqual([
      "2026-03-29T03:00:00.000+02:00",
      "2026-03-30T02:30:00.000+02:00",
      "2026-03-31T02:30:00.000+02:00",
    ]);
    expect(fires("0 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00", 1)).toEqual([
      "2026-03-29T03:00:00.000+02:00",
    ]);
    const s = parseSchedule({ cron: "30 2 * * *", timeZone: "Europe/Berlin" }, CREATED);
    expect(nextRunAfter(s, Date.parse("2026-03-28T12:00:00Z"))).toBe(
      Date.parse("2026-03-29T01:00:00Z"),
    );
  });

  it("Europe/Berlin: every-15-minutes collapses the skipped hour and 03:00 into one fire", () => {
    expect(fires("*/15 * * * *", "Europe/Berlin", "2026-03-29T01:30:00+01:00", 4)).toEqual([
      "2026-03-29T01:45:00.000+01:00",
      "2026-03-29T03:00:00.000+02:00",
      "2026-03-29T03:15:00.000+02:00",
      "2026-03-29T03:30:00.000+02:00",
    ]);
  });

  it("Europe/Berlin: hourly fires once at each existing hour (23 fires that day)", () => {
    const day = fires("0 * * * *", "Europe/Berlin", "2026-03-28T23:59:59+01:00", 30).filter((t) =>
      t.startsWith("2026-03-29"),
    );
    expect(day.slice(0, 4)).toEqual([
      "2026-03-29T00:00:00.000+01:00",
      "2026-03-29T01:00:00.000+01:00",
      "2026-03-29T03:00:00.000+02:00",
      "2026-03-29T04:00:00.000+02:00",
    ]);
    expect(day).toHaveLength(23);
  });

  it("Europe/Berlin: every minute and every second step straight over the gap", () => {
    expect(fires("* * * * *", "Europe/Berlin", "2026-03-29T01:58:00+01:00", 3)).toEqual([
      "2026-03-29T01:59:00.000+01:00",
      "2026-03-29T03:00:00.000+02:00",
      "2026-03-29T03:01:00.000+02:00",
    ]);
    expect(fires("* * * * * *", "Europe/Berlin", "2026-03-29T01:59:58+01:00", 3)).toEqual([
      "2026-03-29T01:59:59.000+01:00",
      "2026-03-29T03:00:00.000+02:00",
      "2026-03-29T03:00:01.000+02:00",
    ]);
  });

  it("Europe/Berlin: asking again from the gap fire does not fire it twice", () => {
    const s = parseSchedule({ cron: "30 2 * * *", timeZone: "Europe/Berlin" }, CREATED);
    const gapFire = Date.parse("2026-03-29T01:00:00Z");
    expect(nextRunAfter(s, gapFire)).toBe(Date.parse("2026-03-30T00:30:00Z"));
  });

  it("America/New_York: 02:30 and 02:00 fire at 03:00-04:00 (07:00Z)", () => {
    expect(fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00", 2)).toEqual([
      "2026-03-08T03:00:00.000-04:00",
      "2026-03-09T02:30:00.000-04:00",
    ]);
    expect(fires("0 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00", 1)).toEqual([
      "2026-03-08T03:00:00.000-04:00",
    ]);
  });

  it("Australia/Lord_Howe (30-minute shift, 02:00→02:30): the half hour collapses into 02:30+11:00", () => {
    for (const source of ["0 2 * * *", "15 2 * * *", "30 2 * * *"]) {
      expect(fires(source, "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30", 1), source).toEqual([
        "2026-10-04T02:30:00.000+11:00",
      ]);
    }
    expect(fires("*/10 * * * *", "Australia/Lord_Howe", "2026-10-04T01:45:00+10:30", 3)).toEqual([
      "2026-10-04T01:50:00.000+10:30",
      "2026-10-04T02:30:00.000+11:00",
      "2026-10-04T02:40:00.000+11:00",
    ]);
  });

  it("Australia/Sydney (southern hemisphere, October): 02:30 fires at 03:00+11:00", () => {
    expect(fires("30 2 * * *", "Australia/Sydney", "2026-10-03T12:00:00+10:00", 2)).toEqual([
      "2026-10-04T03:00:00.000+11:00",
      "2026-10-05T02:30:00.000+11:00",
    ]);
  });

  it("America/Santiago (gap at midnight): midnight fires at 01:00-03:00", () => {
    expect(fires("0 0 * * *", "America/Santiago", "2026-09-05T12:00:00-04:00", 2)).toEqual([
      "2026-09-06T01:00:00.000-03:00",
      "2026-09-07T00:00:00.000-03:00",
    ]);
  });
});

describe("fall back: a repeated reading fires once, at its first occurrence", () => {
  it("Europe/Berlin: 02:30 fires at 02:30+02:00 (00:30Z) only", () => {
    expect(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00", 2)).toEqual([
      "2026-10-25T02:30:00.000+02:00",
      "2026-10-26T02:30:00.000+01:00",
    ]);
  });

  it("Europe/Berlin: every 15 minutes pauses during the second pass of 02:00-03:00", () => {
    expect(fires("*/15 * * * *", "Europe/Berlin", "2026-10-25T02:30:00+02:00", 3)).toEqual([
      "2026-10-25T02:45:00.000+02:00",
      "2026-10-25T03:00:00.000+01:00",
      "2026-10-25T03:15:00.000+01:00",
    ]);
  });

  it("Europe/Berlin: resuming inside the second pass waits for the end of the repeat", () => {
    expect(fires("*/15 * * * *", "Europe/Berlin", "2026-10-25T02:10:00+01:00", 1)).toEqual([
      "2026-10-25T03:00:00.000+01:00",
    ]);
    expect(fires("30 2 * * *", "Europe/Berlin", "2026-10-25T02:10:00+01:00", 1)).toEqual([
      "2026-10-26T02:30:00.000+01:00",
    ]);
  });

  it("Europe/Berlin: hourly fires 24 times on the 25-hour day, 02:00 once", () => {
    const day = fires("0 * * * *", "Europe/Berlin", "2026-10-24T23:59:59+02:00", 30).filter((t) =>
      t.startsWith("2026-10-25"),
    );
    expect(day.slice(1, 4)).toEqual([
      "2026-10-25T01:00:00.000+02:00",
      "2026-10-25T02:00:00.000+02:00",
      "2026-10-25T03:00:00.000+01:00",
    ]);
    expect(day).toHaveLength(24);
  });

  it("America/New_York: 01:30 fires at 01:30-04:00 only; half-hourly skips the repeat", () => {
    expect(fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00", 2)).toEqual([
      "2026-11-01T01:30:00.000-04:00",
      "2026-11-02T01:30:00.000-05:00",
    ]);
    expect(fires("*/30 * * * *", "America/New_York", "2026-11-01T00:45:00-04:00", 3)).toEqual([
      "2026-11-01T01:00:00.000-04:00",
      "2026-11-01T01:30:00.000-04:00",
      "2026-11-01T02:00:00.000-05:00",
    ]);
  });

  it("Australia/Lord_Howe (30-minute shift, 02:00→01:30): 01:45 fires at 01:45+11:00 only", () => {
    expect(fires("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00+11:00", 2)).toEqual([
      "2026-04-05T01:45:00.000+11:00",
      "2026-04-06T01:45:00.000+10:30",
    ]);
    expect(fires("*/15 * * * *", "Australia/Lord_Howe", "2026-04-05T01:20:00+11:00", 4)).toEqual([
      "2026-04-05T01:30:00.000+11:00",
      "2026-04-05T01:45:00.000+11:00",
      "2026-04-05T02:00:00.000+10:30",
      "2026-04-05T02:15:00.000+10:30",
    ]);
  });

  it("Australia/Sydney (southern hemisphere, April): 02:30 fires at 02:30+11:00 only", () => {
    expect(fires("30 2 * * *", "Australia/Sydney", "2026-04-04T12:00:00+11:00", 2)).toEqual([
      "2026-04-05T02:30:00.000+11:00",
      "2026-04-06T02:30:00.000+10:00",
    ]);
  });

  it("America/Santiago (repeat of 23:00-24:00): 23:30 fires at its first occurrence", () => {
    expect(fires("30 23 * * *", "America/Santiago", "2026-04-04T12:00:00-03:00", 2)).toEqual([
      "2026-04-04T23:30:00.000-03:00",
      "2026-04-05T23:30:00.000-04:00",
    ]);
  });
});

describe("formatLocal", () => {
  it("writes ISO 8601 with the zone's offset and milliseconds", () => {
    const t = Date.parse("2026-03-29T01:00:00Z");
    expect(formatLocal(t, "Europe/Berlin")).toBe("2026-03-29T03:00:00.000+02:00");
    expect(formatLocal(t + 5, "Australia/Lord_Howe")).toBe("2026-03-29T12:00:00.005+11:00");
    expect(formatLocal(t, "UTC")).toBe("2026-03-29T01:00:00.000Z");
  });

  it("rejects an unknown zone", () => {
    expect(() => formatLocal(0, "Mars/Olympus")).toThrow(/schedule.time_zone: unknown time zone/);
  });
});
