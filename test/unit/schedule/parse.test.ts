import { describe, expect, it } from "vitest";
import { type ChronoringError, isChronoringError } from "../../../src/core/errors.js";
import { parseSchedule, type ScheduleInput } from "../../../src/core/schedule/index.js";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function invalid(input: ScheduleInput, now = NOW): ChronoringError {
  try {
    parseSchedule(input, now);
  } catch (err) {
    if (isChronoringError(err, "invalid_argument")) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe("parseSchedule: accepted input is normalised", () => {
  it("keeps an absolute at as a once schedule", () => {
    expect(parseSchedule({ at: NOW + HOUR }, NOW)).toEqual({ kind: "once", at: NOW + HOUR });
  });

  it("accepts an at in the past (it fires at once)", () => {
    expect(parseSchedule({ at: NOW - DAY }, NOW)).toEqual({ kind: "once", at: NOW - DAY });
  });

  it("anchors after at now", () => {
    expect(parseSchedule({ afterMs: 90_000 }, NOW)).toEqual({ kind: "once", at: NOW + 90_000 });
    expect(parseSchedule({ afterMs: 0 }, NOW)).toEqual({ kind: "once", at: NOW });
  });

  it("anchors an interval at now without a start, at the start otherwise", () => {
    expect(parseSchedule({ interval: " rate(5 minutes) " }, NOW)).toEqual({
      kind: "interval",
      source: "rate(5 minutes)",
      periodMs: 300_000,
      anchorMs: NOW,
    });
    const start = NOW + DAY;
    const end = NOW + 2 * DAY;
    expect(parseSchedule({ interval: "1h", startMs: start, endMs: end }, NOW)).toEqual({
      kind: "interval",
      source: "1h",
      periodMs: HOUR,
      anchorMs: start,
      startMs: start,
      endMs: end,
    });
  });

  it("defaults the cron zone to UTC and stores the canonical zone name", () => {
    expect(parseSchedule({ cron: "0 10 * * *" }, NOW)).toEqual({
      kind: "cron",
      source: "0 10 * * *",
      timeZone: "UTC",
    });
    expect(parseSchedule({ cron: "0 10 * * *", timeZone: "" }, NOW)).toMatchObject({
      timeZone: "UTC",
    });
    expect(parseSchedule({ cron: "0 10 * * *", timeZone: "europe/berlin" }, NOW)).toMatchObject({
      timeZone: "Europe/Berlin",
    });
  });

  it("answers a zone name the same when asked again (the lookups are remembered, unknown names too)", () => {
    for (let i = 0; i < 2; i++) {
      expect(
        parseSchedule({ cron: "0 10 * * *", timeZone: "america/new_york" }, NOW),
      ).toMatchObject({ timeZone: "America/New_York" });
      expect(invalid({ cron: "0 10 * * *", timeZone: "Mars/Olympus_Mons" }).field).toBe(
        "schedule.time_zone",
      );
    }
  });

  it("keeps the cron source as written, trimmed", () => {
    expect(parseSchedule({ cron: "  cron(0 10 * * ? *) " }, NOW)).toMatchObject({
      source: "cron(0 10 * * ? *)",
    });
  });

  it("accepts UTC as the zone of once and interval schedules", () => {
    expect(parseSchedule({ interval: "90s", timeZone: "UTC" }, NOW)).toMatchObject({
      periodMs: 90_000,
    });
    expect(parseSchedule({ at: NOW, timeZone: "" }, NOW)).toEqual({ kind: "once", at: NOW });
  });

  it("accepts a cron whose start is in the future and a window that holds a run", () => {
    const start = Date.parse("2027-01-01T00:00:00Z");
    expect(
      parseSchedule({ cron: "0 0 1 1 *", startMs: start, endMs: start + DAY }, NOW),
    ).toMatchObject({ startMs: start, endMs: start + DAY });
  });

  it("accepts a sparse cron that fires within 5 years (29 February)", () => {
    expect(parseSchedule({ cron: "0 0 29 2 *" }, NOW)).toMatchObject({ kind: "cron" });
  });
});

describe("parseSchedule: bad input names its field", () => {
  it.each<[string, ScheduleInput, string, RegExp]>([
    ["no kind set", {}, "schedule", /exactly one of at, after, interval or cron; none is set/],
    ["two kinds set", { at: NOW, cron: "* * * * *" }, "schedule", /got at and cron/],
    [
      "three kinds set",
      { afterMs: 1, interval: "1m", cron: "x" },
      "schedule",
      /after and interval and cron/,
    ],
    ["at not a whole ms", { at: NOW + 0.5 }, "schedule.at", /whole number/],
    ["at NaN", { at: Number.NaN }, "schedule.at", /whole number/],
    ["at infinite", { at: Number.POSITIVE_INFINITY }, "schedule.at", /whole number/],
    ["at negative", { at: -1 }, "schedule.at", /between 2000/],
    ["at before 2000", { at: Date.UTC(1999, 11, 31) }, "schedule.at", /between 2000/],
    ["at after 9999", { at: Date.UTC(10000, 0, 1) }, "schedule.at", /9999/],
    ["after negative", { afterMs: -1 }, "schedule.after", /between 0 and 10 years/],
    ["after over 10 years", { afterMs: 3654 * DAY }, "schedule.after", /10 years/],
    ["after fractional", { afterMs: 1.5 }, "schedule.after", /whole number/],
    ["interval empty", { interval: "" }, "schedule.interval", /must not be empty/],
    ["interval garbage", { interval: "every 5 minutes" }, "schedule.interval", /expected rate/],
    [
      "interval unknown rate unit",
      { interval: "rate(5 weeks)" },
      "schedule.interval",
      /unknown unit/,
    ],
    ["interval rate zero", { interval: "rate(0 minutes)" }, "schedule.interval", /at least 1/],
    [
      "interval rate negative",
      { interval: "rate(-5 minutes)" },
      "schedule.interval",
      /expected rate/,
    ],
    ["interval below 1 second", { interval: "500ms" }, "schedule.interval", /at least 1 second/],
    ["interval above 365 days", { interval: "366d" }, "schedule.interval", /at most 365 days/],
    [
      "interval rate above 365 days",
      { interval: "rate(9000 hours)" },
      "schedule.interval",
      /365 days/,
    ],
    ["interval decimal", { interval: "1.5h" }, "schedule.interval", /expected rate/],
    [
      "interval units out of order",
      { interval: "30m1h" },
      "schedule.interval",
      /largest to smallest/,
    ],
    ["interval unit repeated", { interval: "1h1h" }, "schedule.interval", /each once/],
    ["interval uppercase unit", { interval: "15M" }, "schedule.interval", /expected rate/],
    ["interval too long", { interval: `${"1".repeat(70)}s` }, "schedule.interval", /at most 64/],
    [
      "interval with a zone",
      { interval: "1h", timeZone: "Europe/Berlin" },
      "schedule.time_zone",
      /only to cron/,
    ],
    [
      "once with a zone",
      { at: NOW, timeZone: "Europe/Berlin" },
      "schedule.time_zone",
      /only to cron/,
    ],
    ["once with a start", { at: NOW, startMs: NOW }, "schedule.start_time", /interval and cron/],
    [
      "once with an end",
      { afterMs: 5, endMs: NOW + DAY },
      "schedule.end_time",
      /interval and cron/,
    ],
    ["start not whole", { cron: "* * * * *", startMs: 1.5 }, "schedule.start_time", /whole number/],
    ["start before 2000", { cron: "* * * * *", startMs: 0 }, "schedule.start_time", /between 2000/],
    [
      "end not whole",
      { cron: "* * * * *", endMs: Number.NaN },
      "schedule.end_time",
      /whole number/,
    ],
    [
      "end before start",
      { interval: "1m", startMs: NOW + DAY, endMs: NOW + HOUR },
      "schedule.end_time",
      /after start_time/,
    ],
    [
      "end equal to start",
      { interval: "1m", startMs: NOW + DAY, endMs: NOW + DAY },
      "schedule.end_time",
      /after start_time/,
    ],
    [
      "end in the past",
      { cron: "* * * * *", endMs: NOW - HOUR },
      "schedule.end_time",
      /in the future/,
    ],
    [
      "interval window without a run",
      { interval: "1d", startMs: NOW - HOUR, endMs: NOW + HOUR },
      "schedule.end_time",
      /no run/,
    ],
    [
      "cron window without a run",
      { cron: "0 0 1 1 *", endMs: NOW + DAY },
      "schedule.end_time",
      /no run/,
    ],
    [
      "zone unknown",
      { cron: "* * * * *", timeZone: "Mars/Olympus" },
      "schedule.time_zone",
      /unknown time zone "Mars\/Olympus"/,
    ],
    [
      "zone as an offset",
      { cron: "* * * * *", timeZone: "+02:00" },
      "schedule.time_zone",
      /unknown time zone/,
    ],
    [
      "zone too long",
      { cron: "* * * * *", timeZone: "A".repeat(100) },
      "schedule.time_zone",
      /unknown time zone/,
    ],
    ["cron empty", { cron: "   " }, "schedule.cron", /must not be empty/],
    ["cron too long", { cron: `${"0,".repeat(130)}0 * * * *` }, "schedule.cron", /at most 256/],
    ["cron 4 fields", { cron: "* * * *" }, "schedule.cron", /expected 5 fields.*got 4/],
    ["cron 7 fields", { cron: "0 0 0 * * * 2026" }, "schedule.cron", /got 7/],
    ["cron minute 60", { cron: "60 * * * *" }, "schedule.cron", /minute field "60"/],
    ["cron hour 24", { cron: "0 24 * * *" }, "schedule.cron", /hour field "24"/],
    ["cron second 60", { cron: "60 0 * * * *" }, "schedule.cron", /second field "60"/],
    ["cron day-of-month 0", { cron: "0 0 0 * *" }, "schedule.cron", /day-of-month field "0"/],
    ["cron month 13", { cron: "0 0 1 13 *" }, "schedule.cron", /month field "13"/],
    ["cron day-of-week 8", { cron: "0 0 * * 8" }, "schedule.cron", /day-of-week field "8"/],
    ["cron unknown name", { cron: "0 0 * * FOO" }, "schedule.cron", /day-of-week field "FOO"/],
    ["cron reversed range", { cron: "0 10-2 * * *" }, "schedule.cron", /hour field "10-2"/],
    ["cron zero step", { cron: "*/0 * * * *" }, "schedule.cron", /minute field/],
    [
      "cron hashed H",
      { cron: "H * * * *" },
      "schedule.cron",
      /H \(hashed values\) is not supported/,
    ],
    [
      "cron nearest weekday W outside the AWS form",
      { cron: "0 0 15W * *" },
      "schedule.cron",
      /W \(nearest weekday\) is supported in the day-of-month of the AWS form only/,
    ],
    ["aws W day 32", { cron: "cron(0 0 32W * ? *)" }, "schedule.cron", /1W to 31W, or LW/],
    ["aws W on a range", { cron: "cron(0 0 1-5W * ? *)" }, "schedule.cron", /1W to 31W, or LW/],
    ["aws W alone", { cron: "cron(0 0 W * ? *)" }, "schedule.cron", /1W to 31W, or LW/],
    ["cron L-n", { cron: "0 0 L-2 * *" }, "schedule.cron", /L-n/],
    ["cron unknown macro", { cron: "@reboot" }, "schedule.cron", /unknown macro/],
    ["cron impossible date", { cron: "0 0 30 2 *" }, "schedule.cron", /never occurs/],
    ["cron 31 April", { cron: "0 0 31 4 *" }, "schedule.cron", /never occurs/],
    [
      "cron no fire in 5 years",
      { cron: "0 0 * 2 1#5" },
      "schedule.cron",
      /never fires within the next 5 years/,
    ],
    ["aws unclosed", { cron: "cron(0 10 * * ? *" }, "schedule.cron", /missing "\)"/],
    ["aws 5 fields", { cron: "cron(0 10 * * ?)" }, "schedule.cron", /6 fields, got 5/],
    ["aws without ?", { cron: "cron(0 10 * * * *)" }, "schedule.cron", /\? in exactly one/],
    ["aws with two ?", { cron: "cron(0 10 ? * ? *)" }, "schedule.cron", /\? in exactly one/],
    ["aws day-of-week 0", { cron: "cron(0 10 ? * 0 *)" }, "schedule.cron", /1-7 \(1 = SUN\)/],
    [
      "aws day-of-week 8",
      { cron: "cron(0 10 ? * 2-8 *)" },
      "schedule.cron",
      /day-of-week field "2-8"/,
    ],
    [
      "aws year before 1970",
      { cron: "cron(0 10 * * ? 1969)" },
      "schedule.cron",
      /year field "1969".*1970-2199/,
    ],
    ["aws year after 2199", { cron: "cron(0 10 * * ? 2026-2200)" }, "schedule.cron", /year field/],
    ["aws year garbage", { cron: "cron(0 10 * * ? next)" }, "schedule.cron", /year field "next"/],
    ["aws year reversed", { cron: "cron(0 10 * * ? 2030-2027)" }, "schedule.cron", /reversed/],
    ["aws years all past", { cron: "cron(0 10 * * ? 2020-2025)" }, "schedule.cron", /never fires/],
    [
      "aws year too far",
      { cron: "cron(0 10 * * ? 2040)" },
      "schedule.cron",
      /never fires within the next 5 years/,
    ],
  ])("rejects %s", (_name, input, field, message) => {
    const err = invalid(input);
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    expect(err.message).toMatch(message);
  });
});
