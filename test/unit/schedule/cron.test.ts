import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import type { Schedule } from "../../../src/core/job.js";
import {
  firstRun,
  formatLocal,
  nextRunAfter,
  parseSchedule,
  scheduleZone,
  upcoming,
} from "../../../src/core/schedule/index.js";
import { seededRandom as random } from "../../support/random.js";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const DAY = 86_400_000;

function cron(source: string, timeZone = "UTC", now = NOW): Schedule {
  return parseSchedule({ cron: source, timeZone }, now);
}

/** The next `count` fires after `from`, written in the schedule's zone. */
function next(schedule: Schedule, from: string, count: number): string[] {
  return upcoming(schedule, Date.parse(from), count).map((t) =>
    formatLocal(t, scheduleZone(schedule)),
  );
}

describe("cron input forms", () => {
  it("reads 5 fields as minute hour day-of-month month day-of-week", () => {
    expect(next(cron("*/15 9-17 * * MON-FRI"), "2026-01-02T17:40:00Z", 3)).toEqual([
      "2026-01-02T17:45:00.000Z",
      "2026-01-05T09:00:00.000Z",
      "2026-01-05T09:15:00.000Z",
    ]);
  });

  it("reads 6 fields with seconds first", () => {
    expect(next(cron("*/20 * * * * *"), "2026-01-01T00:00:00Z", 4)).toEqual([
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:40.000Z",
      "2026-01-01T00:01:00.000Z",
      "2026-01-01T00:01:20.000Z",
    ]);
    expect(next(cron("30 0 12 * * *"), "2026-01-01T12:00:30Z", 1)).toEqual([
      "2026-01-02T12:00:30.000Z",
    ]);
  });

  it("treats sub-second instants as strictly after", () => {
    expect(next(cron("*/10 * * * * *"), "2026-01-01T00:00:09.999Z", 1)).toEqual([
      "2026-01-01T00:00:10.000Z",
    ]);
    expect(next(cron("*/10 * * * * *"), "2026-01-01T00:00:10.001Z", 1)).toEqual([
      "2026-01-01T00:00:20.000Z",
    ]);
  });

  it("reads the AWS form cron(0 10 * * ? *) as every day at 10:00", () => {
    expect(next(cron("cron(0 10 * * ? *)"), "2026-01-01T10:00:00Z", 2)).toEqual([
      "2026-01-02T10:00:00.000Z",
      "2026-01-03T10:00:00.000Z",
    ]);
  });

  it("reads the AWS form with a year and ? in day-of-month, and stops after the last year", () => {
    const s = cron("cron(0 18 ? * MON-FRI 2026)");
    expect(next(s, "2026-12-30T12:00:00Z", 5)).toEqual([
      "2026-12-30T18:00:00.000Z",
      "2026-12-31T18:00:00.000Z",
    ]);
    expect(nextRunAfter(s, Date.parse("2026-12-31T18:00:00Z"))).toBeUndefined();
  });

  it("counts AWS day-of-week 1-7 from Sunday", () => {
    // 2-6 is MON-FRI in AWS numbering; 2026-01-03 is a Saturday.
    expect(next(cron("cron(0 8 ? * 2-6 *)"), "2026-01-02T09:00:00Z", 2)).toEqual([
      "2026-01-05T08:00:00.000Z",
      "2026-01-06T08:00:00.000Z",
    ]);
    expect(next(cron("cron(0 8 ? * 1 *)"), "2026-01-01T00:00:00Z", 1)).toEqual([
      "2026-01-04T08:00:00.000Z",
    ]);
    // 2/2 = MON, WED, FRI (not Sunday again).
    expect(next(cron("cron(0 0 ? * 2/2 *)"), "2026-01-04T00:00:00Z", 4)).toEqual([
      "2026-01-05T00:00:00.000Z",
      "2026-01-07T00:00:00.000Z",
      "2026-01-09T00:00:00.000Z",
      "2026-01-12T00:00:00.000Z",
    ]);
  });

  it("reads AWS L and # in day-of-week and L in day-of-month", () => {
    expect(next(cron("cron(0 12 ? * 2#1 *)"), "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-05T12:00:00.000Z",
      "2026-02-02T12:00:00.000Z",
    ]);
    expect(next(cron("cron(0 12 ? * 6L *)"), "2026-01-01T00:00:00Z", 1)).toEqual([
      "2026-01-30T12:00:00.000Z",
    ]);
    expect(next(cron("cron(0 0 ? * L *)"), "2026-01-01T00:00:00Z", 1)).toEqual([
      "2026-01-03T00:00:00.000Z",
    ]);
    expect(next(cron("cron(0 0 L * ? *)"), "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-31T00:00:00.000Z",
      "2026-02-28T00:00:00.000Z",
    ]);
  });

  it("reads the AWS nW and LW as the nearest weekday, never in another month", () => {
    // 15 Feb and 15 Mar 2026 are Sundays: Monday; 15 Apr is a Wednesday.
    expect(next(cron("cron(0 9 15W * ? *)"), "2026-02-01T00:00:00Z", 3)).toEqual([
      "2026-02-16T09:00:00.000Z",
      "2026-03-16T09:00:00.000Z",
      "2026-04-15T09:00:00.000Z",
    ]);
    // 1 Aug 2026 is a Saturday: Monday the 3rd, not Friday 31 July.
    expect(next(cron("cron(0 9 1W * ? *)"), "2026-07-15T00:00:00Z", 2)).toEqual([
      "2026-08-03T09:00:00.000Z",
      "2026-09-01T09:00:00.000Z",
    ]);
    // 31 Jan is a Saturday (Friday 30th); February and April have no 31st;
    // 31 May is a Sunday: Friday the 29th, not Monday 1 June.
    expect(next(cron("cron(0 9 31W * ? *)"), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-30T09:00:00.000Z",
      "2026-03-31T09:00:00.000Z",
      "2026-05-29T09:00:00.000Z",
    ]);
    expect(next(cron("cron(0 9 LW * ? *)"), "2026-05-01T00:00:00Z", 2)).toEqual([
      "2026-05-29T09:00:00.000Z",
      "2026-06-30T09:00:00.000Z",
    ]);
  });

  it("reads the AWS year field as ranges, lists and steps", () => {
    expect(next(cron("cron(0 0 1 1 ? 2027,2029-2030)"), "2026-01-01T00:00:00Z", 5)).toEqual([
      "2027-01-01T00:00:00.000Z",
      "2029-01-01T00:00:00.000Z",
      "2030-01-01T00:00:00.000Z",
    ]);
    expect(next(cron("cron(0 0 1 1 ? 2026/2)"), "2026-01-01T00:00:00Z", 2)).toEqual([
      "2028-01-01T00:00:00.000Z",
      "2030-01-01T00:00:00.000Z",
    ]);
  });

  it("matches the AWS year in the schedule's zone", () => {
    const lastEvening = "cron(30 23 31 12 ? 2026)";
    expect(next(cron(lastEvening, "America/New_York"), "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-12-31T23:30:00.000-05:00",
    ]);
  });

  it("reads L, nL and n#k in the standard form", () => {
    expect(next(cron("0 0 L 2 *"), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-02-28T00:00:00.000Z",
      "2027-02-28T00:00:00.000Z",
      "2028-02-29T00:00:00.000Z",
    ]);
    expect(next(cron("0 0 * * 5L"), "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-30T00:00:00.000Z",
      "2026-02-27T00:00:00.000Z",
    ]);
    expect(next(cron("0 9 * * 1#2"), "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-12T09:00:00.000Z",
      "2026-02-09T09:00:00.000Z",
    ]);
  });

  it("fires when either restricted day field matches, as Vixie cron does", () => {
    // The 13th, or any Friday.
    expect(next(cron("0 0 13 * 5"), "2026-01-08T00:00:00Z", 3)).toEqual([
      "2026-01-09T00:00:00.000Z",
      "2026-01-13T00:00:00.000Z",
      "2026-01-16T00:00:00.000Z",
    ]);
  });

  it("reads 7 and SUN as Sunday, and month names", () => {
    expect(next(cron("0 0 * JAN 7"), "2026-01-01T00:00:00Z", 1)).toEqual([
      "2026-01-04T00:00:00.000Z",
    ]);
    expect(next(cron("0 0 * jan sun"), "2026-01-01T00:00:00Z", 1)).toEqual([
      "2026-01-04T00:00:00.000Z",
    ]);
  });

  it("reads macros", () => {
    expect(next(cron("@daily"), "2026-01-01T00:00:00Z", 1)).toEqual(["2026-01-02T00:00:00.000Z"]);
    expect(next(cron("@hourly"), "2026-01-01T00:00:00Z", 1)).toEqual(["2026-01-01T01:00:00.000Z"]);
    expect(next(cron("@yearly"), "2026-01-01T00:00:00Z", 1)).toEqual(["2027-01-01T00:00:00.000Z"]);
  });

  it("reads fields in a zone without DST (Asia/Kolkata, +05:30)", () => {
    const s = cron("0 9 * * *", "Asia/Kolkata");
    expect(upcoming(s, Date.parse("2026-01-01T00:00:00Z"), 1)).toEqual([
      Date.parse("2026-01-01T03:30:00Z"),
    ]);
  });

  it("finds a leap day eight years ahead across 2100", () => {
    const s = cron("0 0 29 2 *", "UTC", Date.parse("2096-01-01T00:00:00Z"));
    expect(next(s, "2096-03-01T00:00:00Z", 1)).toEqual(["2104-02-29T00:00:00.000Z"]);
  });
});

describe("cron start and end", () => {
  it("fires at the start when it matches, and never before it", () => {
    const start = Date.parse("2026-02-01T10:00:00Z");
    const s = parseSchedule({ cron: "0 10 * * *", startMs: start }, NOW);
    expect(firstRun(s, NOW)).toBe(start);
    expect(nextRunAfter(s, NOW)).toBe(start);
    expect(nextRunAfter(s, start)).toBe(start + DAY);
  });

  it("fires at the end when it matches, and never after it", () => {
    const end = Date.parse("2026-01-03T10:00:00Z");
    const s = parseSchedule({ cron: "0 10 * * *", endMs: end }, NOW);
    expect(upcoming(s, NOW, 10)).toEqual([end - 2 * DAY, end - DAY, end]);
    expect(nextRunAfter(s, end - 1)).toBe(end);
    expect(nextRunAfter(s, end)).toBeUndefined();
  });

  it("counts a fire exactly at now as the first run", () => {
    const s = cron("0 10 * * *");
    const tenOClock = Date.parse("2026-01-05T10:00:00Z");
    expect(firstRun(s, tenOClock)).toBe(tenOClock);
    expect(firstRun(s, tenOClock + 1)).toBe(tenOClock + DAY);
  });
});

function randomExpression(rand: () => number): string {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const numeric = (lo: number, hi: number): string => {
    const a = int(lo, hi);
    const b = int(a, hi);
    return pick([
      "*",
      "*",
      `${a}`,
      `${a},${b === a ? hi : b}`,
      `${a}-${b}`,
      `*/${int(1, Math.max(1, hi - lo))}`,
      `${a}-${hi}/${int(1, 9)}`,
    ]);
  };
  const second = pick(["", "", "", `${numeric(0, 59)} `]);
  const dom = pick(["*", "*", "*", "?", numeric(1, 31), "L", `${int(1, 28)},L`]);
  const dow = pick([
    "*",
    "*",
    "*",
    numeric(0, 7),
    "MON-FRI",
    "SAT,SUN",
    `${int(0, 6)}L`,
    `${int(0, 7)}#${int(1, 5)}`,
  ]);
  const month = pick(["*", "*", numeric(1, 12), "FEB", "JAN-MAR"]);
  return `${second}${numeric(0, 59)} ${numeric(0, 23)} ${dom} ${month} ${dow}`;
}

describe("cron matching agrees with cron-parser in UTC (seeded random expressions)", () => {
  it("returns the same fire times as cron-parser's own iterator for 300 expressions", () => {
    const rand = random(20260329);
    let compared = 0;
    for (let i = 0; i < 300; i++) {
      const expression = randomExpression(rand);
      const after = Date.UTC(2024, 0, 1) + Math.floor(rand() * 4 * 365 * DAY);
      let schedule: Schedule;
      try {
        schedule = cron(expression, "UTC", after);
      } catch {
        continue; // e.g. 31 February, or nothing within 5 years
      }
      const reference = CronExpressionParser.parse(expression, {
        tz: "UTC",
        currentDate: new Date(after),
      })
        .take(4)
        .map((d) => d.getTime());
      const ours = upcoming(schedule, after, 4);
      expect(
        ours.slice(0, reference.length),
        `${expression} after ${new Date(after).toISOString()}`,
      ).toEqual(reference);
      compared++;
    }
    expect(compared).toBeGreaterThan(250);
  }, 30_000);
});
