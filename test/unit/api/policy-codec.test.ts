/** Proto ↔ domain of the time-policy fields, calendars and explained previews. */

import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { CalendarSchema, Weekday } from "../../../gen/chronoring/v1/calendar_service_pb.js";
import {
  CalendarMode,
  DstFold,
  DstGap,
  MisfireMode,
  ScheduleSpecSchema,
} from "../../../gen/chronoring/v1/schedule_pb.js";
import { scheduleInputFromProto, scheduleToProto } from "../../../src/api/codec.js";
import {
  calendarInputFromProto,
  calendarToProto,
  explainedToProto,
} from "../../../src/api/policy-codec.js";
import { parseSchedule } from "../../../src/core/schedule/index.js";

const NOW = Date.parse("2026-01-05T12:00:00Z");

describe("schedule policies on the wire", () => {
  it("round-trips misfire, jitter and calendar through the domain schedule", () => {
    const spec = create(ScheduleSpecSchema, {
      kind: { case: "cron", value: "0 9 * * *" },
      timeZone: "Europe/Berlin",
      misfire: { mode: MisfireMode.FIRE_ALL, maxCatchUp: 5, window: durationFromMs(600_000) },
      jitter: durationFromMs(30_000),
      calendar: { name: "holidays", mode: CalendarMode.ROLL_FORWARD },
    });
    const schedule = parseSchedule(scheduleInputFromProto(spec), NOW);
    expect(schedule).toMatchObject({
      misfire: { mode: "FIRE_ALL", maxCatchUp: 5, windowMs: 600_000, thresholdMs: 60_000 },
      jitterMs: 30_000,
      calendar: { name: "holidays", mode: "ROLL_FORWARD" },
    });
    const back = scheduleToProto(schedule);
    expect(back.misfire?.mode).toBe(MisfireMode.FIRE_ALL);
    expect(back.misfire?.maxCatchUp).toBe(5);
    expect(durationMs(back.misfire!.window!)).toBe(600_000);
    expect(durationMs(back.misfire!.threshold!)).toBe(60_000);
    expect(durationMs(back.jitter!)).toBe(30_000);
    expect(back.calendar).toMatchObject({ name: "holidays", mode: CalendarMode.ROLL_FORWARD });
  });

  it("round-trips a DST policy; the defaults come back unset", () => {
    const spec = create(ScheduleSpecSchema, {
      kind: { case: "cron", value: "30 2 * * *" },
      timeZone: "Europe/Berlin",
      dst: { gap: DstGap.SKIP, fold: DstFold.BOTH },
    });
    const schedule = parseSchedule(scheduleInputFromProto(spec), NOW);
    expect(schedule.dst).toEqual({ gap: "SKIP", fold: "BOTH" });
    expect(scheduleToProto(schedule).dst).toMatchObject({ gap: DstGap.SKIP, fold: DstFold.BOTH });
    const plain = create(ScheduleSpecSchema, {
      kind: { case: "cron", value: "30 2 * * *" },
      dst: { gap: DstGap.SHIFT_FORWARD },
    });
    expect(scheduleToProto(parseSchedule(scheduleInputFromProto(plain), NOW)).dst).toBeUndefined();
  });

  it("leaves the policies unset on a schedule without them", () => {
    const back = scheduleToProto(parseSchedule({ interval: "1m" }, NOW));
    expect(back.dst).toBeUndefined();
    expect(back.misfire).toBeUndefined();
    expect(back.jitter).toBeUndefined();
    expect(back.calendar).toBeUndefined();
  });

  it("round-trips a flexible window; none comes back unset", () => {
    const spec = create(ScheduleSpecSchema, {
      kind: { case: "cron", value: "0 * * * *" },
      flexibleWindow: durationFromMs(60_000),
    });
    const schedule = parseSchedule(scheduleInputFromProto(spec), NOW);
    expect(schedule.flexibleWindowMs).toBe(60_000);
    expect(durationMs(scheduleToProto(schedule).flexibleWindow!)).toBe(60_000);
    expect(scheduleToProto(parseSchedule({ interval: "1m" }, NOW)).flexibleWindow).toBeUndefined();
  });

  it("defaults an unspecified calendar mode to SKIP", () => {
    const spec = create(ScheduleSpecSchema, {
      kind: { case: "interval", value: "1h" },
      calendar: { name: "holidays" },
    });
    expect(parseSchedule(scheduleInputFromProto(spec), NOW).calendar?.mode).toBe("SKIP");
  });

  it.each([
    ["misfire.mode", { misfire: { mode: 42 } }],
    ["calendar.mode", { calendar: { name: "x", mode: 42 } }],
    ["dst.gap", { dst: { gap: 7 } }],
    ["dst.fold", { dst: { fold: 9 } }],
    ["jitter", { jitter: { seconds: -1n, nanos: 0 } }],
    ["flexible_window", { flexibleWindow: { seconds: -1n, nanos: 0 } }],
    ["misfire.threshold", { misfire: { threshold: { seconds: -5n, nanos: 0 } } }],
  ])("rejects a bad %s naming the field", (field, extra) => {
    const spec = create(ScheduleSpecSchema, { kind: { case: "interval", value: "1h" }, ...extra });
    expect(() => scheduleInputFromProto(spec)).toThrowError(new RegExp(`^schedule\\.${field}: `));
  });
});

describe("calendars on the wire", () => {
  it("maps weekdays: proto MONDAY..SUNDAY ↔ 1..6, 0", () => {
    const input = calendarInputFromProto(
      create(CalendarSchema, { name: "w", excludedWeekdays: [Weekday.SUNDAY, Weekday.MONDAY] }),
    );
    expect(input.excludedWeekdays).toEqual([0, 1]);
    const out = calendarToProto({
      name: "w",
      description: "",
      excludedDates: [],
      excludedWeekdays: [0, 1, 6],
      version: 1,
      createdMs: NOW,
      updatedMs: NOW,
    });
    expect(out.excludedWeekdays).toEqual([Weekday.MONDAY, Weekday.SATURDAY, Weekday.SUNDAY]);
  });

  it("rejects an unspecified weekday naming its index", () => {
    expect(() =>
      calendarInputFromProto(
        create(CalendarSchema, { name: "w", excludedWeekdays: [Weekday.MONDAY, 0] }),
      ),
    ).toThrowError(/^calendar\.excluded_weekdays\[1\]: /);
    expect(() => calendarInputFromProto(undefined)).toThrowError(/^calendar: required/);
  });

  it("carries notes and removed times of a preview", () => {
    const out = explainedToProto({
      fires: [{ utcMs: NOW, local: "x", notes: ["why"] }],
      removed: [{ utcMs: NOW - 1, local: "y", reason: "because" }],
    });
    expect(out.fireTimes[0]?.notes).toEqual(["why"]);
    expect(out.fireTimes[0]?.windowEnd).toBeUndefined();
    expect(out.removed[0]?.reason).toBe("because");
  });

  it("carries a preview time's window end", () => {
    const out = explainedToProto({
      fires: [{ utcMs: NOW, local: "x", notes: [], windowEndMs: NOW + 60_000 }],
      removed: [],
    });
    expect(timestampMs(out.fireTimes[0]!.windowEnd!)).toBe(NOW + 60_000);
  });
});
