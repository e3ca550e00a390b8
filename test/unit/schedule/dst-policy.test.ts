/**
 * A cron schedule's DST choices (`dst`): SKIP for readings in a
 * spring-forward gap, LAST or BOTH for readings a fall-back repeats; and what
 * PreviewSchedule says about each.
 */

import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { cronMatcher } from "../../../src/core/schedule/cron-cache.js";
import {
  explainFires,
  formatLocal,
  parseSchedule,
  type ScheduleInput,
  upcoming,
} from "../../../src/core/schedule/index.js";
import { zoneClock } from "../../../src/core/schedule/zone.js";

const CREATED = Date.parse("2026-01-01T00:00:00Z");
const at = (local: string) => DateTime.fromISO(local, { setZone: true }).toMillis();

function fires(input: ScheduleInput, fromLocal: string, count: number): string[] {
  const schedule = parseSchedule(input, CREATED);
  return upcoming(schedule, at(fromLocal), count).map((t) => formatLocal(t, input.timeZone!));
}

const berlin = (cron: string, dst?: ScheduleInput["dst"]): ScheduleInput => ({
  cron,
  timeZone: "Europe/Berlin",
  ...(dst && { dst }),
});

describe("gap SKIP: a local time that does not exist that day does not fire", () => {
  it("Europe/Berlin 02:30 on 2026-03-29: SHIFT_FORWARD fires at 03:00, SKIP not at all", () => {
    expect(fires(berlin("30 2 * * *"), "2026-03-28T12:00:00+01:00", 2)).toEqual([
      "2026-03-29T03:00:00.000+02:00",
      "2026-03-30T02:30:00.000+02:00",
    ]);
    expect(fires(berlin("30 2 * * *", { gap: "SKIP" }), "2026-03-28T12:00:00+01:00", 2)).toEqual([
      "2026-03-30T02:30:00.000+02:00",
      "2026-03-31T02:30:00.000+02:00",
    ]);
  });

  it("every 20 minutes: the gap's readings are dropped, the hour's neighbours kept", () => {
    expect(fires(berlin("*/20 * * * *", { gap: "SKIP" }), "2026-03-29T01:30:00+01:00", 4)).toEqual([
      "2026-03-29T01:40:00.000+01:00",
      "2026-03-29T03:00:00.000+02:00",
      "2026-03-29T03:20:00.000+02:00",
      "2026-03-29T03:40:00.000+02:00",
    ]);
  });

  it("America/New_York 02:00 on 2026-03-08 is skipped too; the fold is untouched", () => {
    const ny: ScheduleInput = {
      cron: "0 2 * * *",
      timeZone: "America/New_York",
      dst: { gap: "SKIP" },
    };
    expect(fires(ny, "2026-03-07T12:00:00-05:00", 2)).toEqual([
      "2026-03-09T02:00:00.000-04:00",
      "2026-03-10T02:00:00.000-04:00",
    ]);
  });
});

describe("fold LAST and BOTH: a repeated local time", () => {
  // Europe/Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:00-02:59 happen twice.
  it("FIRST (default) fires 02:30 once at +02:00; LAST once at +01:00", () => {
    expect(fires(berlin("30 2 * * *"), "2026-10-24T12:00:00+02:00", 2)).toEqual([
      "2026-10-25T02:30:00.000+02:00",
      "2026-10-26T02:30:00.000+01:00",
    ]);
    expect(fires(berlin("30 2 * * *", { fold: "LAST" }), "2026-10-24T12:00:00+02:00", 2)).toEqual([
      "2026-10-25T02:30:00.000+01:00",
      "2026-10-26T02:30:00.000+01:00",
    ]);
  });

  it("BOTH fires at each occurrence, an hour apart", () => {
    expect(fires(berlin("30 2 * * *", { fold: "BOTH" }), "2026-10-24T12:00:00+02:00", 3)).toEqual([
      "2026-10-25T02:30:00.000+02:00",
      "2026-10-25T02:30:00.000+01:00",
      "2026-10-26T02:30:00.000+01:00",
    ]);
  });

  it("LAST from inside the first pass still finds the second occurrence of earlier readings", () => {
    const s = parseSchedule(berlin("15 2 * * *", { fold: "LAST" }), CREATED);
    // 02:40 CEST, the first pass: 02:15's last occurrence (02:15 CET) is ahead.
    expect(
      upcoming(s, at("2026-10-25T02:40:00+02:00"), 1).map((t) => formatLocal(t, "Europe/Berlin")),
    ).toEqual(["2026-10-25T02:15:00.000+01:00"]);
  });

  it("every 30 minutes across the fold: FIRST, LAST and BOTH, strictly increasing", () => {
    const from = "2026-10-25T01:15:00+02:00";
    expect(fires(berlin("*/30 * * * *"), from, 5)).toEqual([
      "2026-10-25T01:30:00.000+02:00",
      "2026-10-25T02:00:00.000+02:00",
      "2026-10-25T02:30:00.000+02:00",
      "2026-10-25T03:00:00.000+01:00",
      "2026-10-25T03:30:00.000+01:00",
    ]);
    expect(fires(berlin("*/30 * * * *", { fold: "LAST" }), from, 4)).toEqual([
      "2026-10-25T01:30:00.000+02:00",
      "2026-10-25T02:00:00.000+01:00",
      "2026-10-25T02:30:00.000+01:00",
      "2026-10-25T03:00:00.000+01:00",
    ]);
    const both = fires(berlin("*/30 * * * *", { fold: "BOTH" }), from, 6);
    expect(both).toEqual([
      "2026-10-25T01:30:00.000+02:00",
      "2026-10-25T02:00:00.000+02:00",
      "2026-10-25T02:30:00.000+02:00",
      "2026-10-25T02:00:00.000+01:00",
      "2026-10-25T02:30:00.000+01:00",
      "2026-10-25T03:00:00.000+01:00",
    ]);
    const instants = both.map((l) => Date.parse(l));
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
  });
});

describe("validation", () => {
  it("the defaults are stored as no policy", () => {
    expect(
      parseSchedule(berlin("0 3 * * *", { gap: "SHIFT_FORWARD", fold: "FIRST" }), CREATED).dst,
    ).toBeUndefined();
    expect(parseSchedule(berlin("0 3 * * *", { fold: "BOTH" }), CREATED).dst).toEqual({
      gap: "SHIFT_FORWARD",
      fold: "BOTH",
    });
  });

  it.each<[string, ScheduleInput]>([
    ["an interval", { interval: "1h", dst: { gap: "SKIP" } }],
    ["a one-time run", { at: CREATED + 60_000, dst: { fold: "LAST" } }],
  ])("on %s: InvalidArgument on schedule.dst", (_, input) => {
    expect(() => parseSchedule(input, CREATED)).toThrowError(
      expect.objectContaining({ field: "schedule.dst" }),
    );
  });

  it("jitter is checked against BOTH's runs", () => {
    // Every 30 minutes: BOTH keeps the 30-minute spacing, so 20 minutes of jitter is fine.
    expect(() =>
      parseSchedule(
        { ...berlin("*/30 * * * *", { fold: "BOTH" }), jitterMs: 20 * 60_000 },
        CREATED,
      ),
    ).not.toThrow();
  });
});

describe("PreviewSchedule explains each choice", () => {
  it("SKIP lists the skipped time as removed, with the reason", () => {
    const s = parseSchedule(berlin("30 2 * * *", { gap: "SKIP" }), CREATED);
    const e = explainFires(s, at("2026-03-28T12:00:00+01:00"), 1, {});
    expect(e.fires.map((f) => f.local)).toEqual(["2026-03-30T02:30:00.000+02:00"]);
    expect(e.removed).toEqual([
      {
        utcMs: Date.parse("2026-03-29T01:00:00Z"),
        local: "2026-03-29T03:00:00.000+02:00",
        reason:
          "DST gap: 02:30 does not exist on 2026-03-29 in Europe/Berlin; skipped (dst gap SKIP)",
      },
    ]);
  });

  it("LAST and BOTH say which occurrence fires", () => {
    const last = explainFires(
      parseSchedule(berlin("30 2 * * *", { fold: "LAST" }), CREATED),
      at("2026-10-24T12:00:00+02:00"),
      1,
      {},
    );
    expect(last.fires[0]!.notes).toEqual([
      "repeated hour: 02:30 occurs twice on 2026-10-25 in Europe/Berlin; fires once, at the second occurrence (dst fold LAST)",
    ]);
    const both = explainFires(
      parseSchedule(berlin("30 2 * * *", { fold: "BOTH" }), CREATED),
      at("2026-10-24T12:00:00+02:00"),
      2,
      {},
    );
    expect(both.fires.map((f) => f.notes)).toEqual([
      [
        "repeated hour: 02:30 occurs twice on 2026-10-25 in Europe/Berlin; fires at both occurrences, this is the first (dst fold BOTH)",
      ],
      [
        "repeated hour: 02:30 occurs twice on 2026-10-25 in Europe/Berlin; fires at both occurrences, this is the second (dst fold BOTH)",
      ],
    ]);
  });
});

describe("properties across zones and patterns", () => {
  const crons = ["*/15 * * * *", "30 2 * * *", "0,30 1-3 * * *", "*/7 * * * *", "45 * * * *"];
  // Each zone's 2026 transitions (checked with luxon in dst.test.ts); a day either side.
  const transitions: Array<[string, string[]]> = [
    ["Europe/Berlin", ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"]],
    ["America/New_York", ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"]],
    ["Australia/Lord_Howe", ["2026-10-03T15:30:00Z", "2026-04-04T15:00:00Z"]],
    ["Australia/Sydney", ["2026-10-03T16:00:00Z", "2026-04-04T16:00:00Z"]],
    ["America/Santiago", ["2026-09-06T04:00:00Z", "2026-04-05T03:00:00Z"]],
  ];

  const runs = (input: ScheduleInput, from: number, to: number) => {
    const s = parseSchedule(input, CREATED);
    return upcoming(s, from, 1000).filter((t) => t <= to);
  };

  it("BOTH is the union of FIRST and LAST; SKIP keeps exactly the runs whose reading exists", {
    timeout: 30_000,
  }, () => {
    for (const [timeZone, at] of transitions) {
      for (const cron of crons) {
        for (const t of at.map(Date.parse)) {
          const [from, to] = [t - 86_400_000, t + 86_400_000];
          const first = runs({ cron, timeZone }, from, to);
          const last = runs({ cron, timeZone, dst: { fold: "LAST" } }, from, to);
          const both = runs({ cron, timeZone, dst: { fold: "BOTH" } }, from, to);
          expect(both).toEqual([...new Set([...first, ...last])].sort((a, b) => a - b));
          const skip = runs({ cron, timeZone, dst: { gap: "SKIP" } }, from, to);
          // A run is kept unless no reading of the cron shows at its instant
          // (the gap's shifted runs; a gap's end that is a cron time itself stays).
          const clock = zoneClock(timeZone);
          const matcher = cronMatcher(cron);
          const shows = (run: number) => {
            const wall = run + clock.offsetAt(run);
            return matcher.next(wall - 1, wall + 1) === wall;
          };
          expect(skip).toEqual(first.filter(shows));
          for (const list of [first, last, both, skip]) {
            expect(list).toEqual([...new Set(list)].sort((a, b) => a - b));
          }
        }
      }
    }
  });
});
