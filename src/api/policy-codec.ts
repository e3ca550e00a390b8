/**
 * Proto ↔ domain conversion of a schedule's time policies (misfire, jitter,
 * calendar, DST, flexible window), of calendars and of explained previews;
 * `codec.ts` calls these for the schedule and job messages.
 */

import { create } from "@bufbuild/protobuf";
import { type Duration, durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Calendar as CalendarPb,
  CalendarSchema,
  Weekday,
} from "../../gen/chronoring/v1/calendar_service_pb.js";
import {
  type FireTime,
  FireTimeSchema,
  type RemovedTime,
  RemovedTimeSchema,
} from "../../gen/chronoring/v1/job_service_pb.js";
import {
  CalendarMode,
  CalendarRefSchema,
  DstFold,
  DstGap,
  DstPolicySchema,
  MisfireMode,
  MisfirePolicySchema,
  type ScheduleSpec,
} from "../../gen/chronoring/v1/schedule_pb.js";
import type { CalendarInput } from "../core/calendar-commands.js";
import { invalidArgument } from "../core/errors.js";
import type { Schedule } from "../core/job.js";
import type { Explained, PolicyInput } from "../core/schedule/index.js";
import type {
  Calendar,
  DstFoldMode,
  DstGapMode,
  MisfireMode as Misfire,
  MisfirePolicy,
  CalendarMode as Mode,
} from "../core/time-policy.js";

/** `codec.ts`'s Duration check, passed in (it imports this module). */
type DurationMs = (d: Duration, field: string) => number;

const MISFIRE_MODES: Readonly<Record<number, Misfire | undefined>> = {
  [MisfireMode.UNSPECIFIED]: undefined,
  [MisfireMode.SKIP]: "SKIP",
  [MisfireMode.FIRE_ONCE]: "FIRE_ONCE",
  [MisfireMode.FIRE_ALL]: "FIRE_ALL",
};
const CALENDAR_MODES: Readonly<Record<number, Mode | undefined>> = {
  [CalendarMode.UNSPECIFIED]: undefined,
  [CalendarMode.SKIP]: "SKIP",
  [CalendarMode.ROLL_FORWARD]: "ROLL_FORWARD",
};

const DST_GAPS: Readonly<Record<number, DstGapMode | undefined>> = {
  [DstGap.UNSPECIFIED]: undefined,
  [DstGap.SHIFT_FORWARD]: "SHIFT_FORWARD",
  [DstGap.SKIP]: "SKIP",
};
const DST_FOLDS: Readonly<Record<number, DstFoldMode | undefined>> = {
  [DstFold.UNSPECIFIED]: undefined,
  [DstFold.FIRST]: "FIRST",
  [DstFold.LAST]: "LAST",
  [DstFold.BOTH]: "BOTH",
};

/** The policies of a ScheduleSpec; `field` is its path in the request. */
export function policyInputFromProto(
  spec: ScheduleSpec,
  field: string,
  msFromDuration: DurationMs,
): PolicyInput {
  const input: PolicyInput = {};
  if (spec.misfire !== undefined) {
    const m = spec.misfire;
    if (!Object.hasOwn(MISFIRE_MODES, m.mode)) {
      throw invalidArgument(`${field}.misfire.mode`, `unknown value ${m.mode}`);
    }
    const misfire: NonNullable<PolicyInput["misfire"]> = {};
    const mode = MISFIRE_MODES[m.mode];
    if (mode !== undefined) misfire.mode = mode;
    if (m.maxCatchUp !== 0) misfire.maxCatchUp = m.maxCatchUp;
    if (m.window) misfire.windowMs = msFromDuration(m.window, `${field}.misfire.window`);
    if (m.threshold)
      misfire.thresholdMs = msFromDuration(m.threshold, `${field}.misfire.threshold`);
    input.misfire = misfire;
  }
  if (spec.jitter !== undefined) input.jitterMs = msFromDuration(spec.jitter, `${field}.jitter`);
  if (spec.flexibleWindow !== undefined) {
    input.flexibleWindowMs = msFromDuration(spec.flexibleWindow, `${field}.flexible_window`);
  }
  if (spec.calendar !== undefined) {
    if (!Object.hasOwn(CALENDAR_MODES, spec.calendar.mode)) {
      throw invalidArgument(`${field}.calendar.mode`, `unknown value ${spec.calendar.mode}`);
    }
    const mode = CALENDAR_MODES[spec.calendar.mode];
    input.calendar = { name: spec.calendar.name, ...(mode !== undefined && { mode }) };
  }
  if (spec.dst !== undefined) {
    if (!Object.hasOwn(DST_GAPS, spec.dst.gap)) {
      throw invalidArgument(`${field}.dst.gap`, `unknown value ${spec.dst.gap}`);
    }
    if (!Object.hasOwn(DST_FOLDS, spec.dst.fold)) {
      throw invalidArgument(`${field}.dst.fold`, `unknown value ${spec.dst.fold}`);
    }
    const gap = DST_GAPS[spec.dst.gap];
    const fold = DST_FOLDS[spec.dst.fold];
    input.dst = { ...(gap !== undefined && { gap }), ...(fold !== undefined && { fold }) };
  }
  return input;
}

/** A misfire policy, the FIRE_ALL-only fields set for FIRE_ALL alone. */
export function misfireToProto(m: MisfirePolicy) {
  return create(MisfirePolicySchema, {
    mode: MisfireMode[m.mode],
    maxCatchUp: m.mode === "FIRE_ALL" ? m.maxCatchUp : 0,
    ...(m.mode === "FIRE_ALL" && { window: durationFromMs(m.windowMs) }),
    threshold: durationFromMs(m.thresholdMs),
  });
}

type PolicyField = "misfire" | "jitter" | "calendar" | "dst" | "flexibleWindow";

/** The policy fields of a stored schedule, to merge into its ScheduleSpec. */
export function policiesToProto(schedule: Schedule): Pick<ScheduleSpec, PolicyField> {
  const out: Pick<ScheduleSpec, PolicyField> = {
    misfire: undefined,
    jitter: undefined,
    calendar: undefined,
    dst: undefined,
    flexibleWindow: undefined,
  };
  if (schedule.misfire !== undefined) out.misfire = misfireToProto(schedule.misfire);
  if (schedule.jitterMs !== undefined) out.jitter = durationFromMs(schedule.jitterMs);
  if (schedule.flexibleWindowMs !== undefined) {
    out.flexibleWindow = durationFromMs(schedule.flexibleWindowMs);
  }
  if (schedule.calendar !== undefined) {
    out.calendar = create(CalendarRefSchema, {
      name: schedule.calendar.name,
      mode: CalendarMode[schedule.calendar.mode],
    });
  }
  if (schedule.dst !== undefined) {
    out.dst = create(DstPolicySchema, {
      gap: DstGap[schedule.dst.gap],
      fold: DstFold[schedule.dst.fold],
    });
  }
  return out;
}

/** Weekday enum → 0 = Sunday ... 6 = Saturday; `field` names the list. */
function weekdayFromProto(w: Weekday, field: string): number {
  if (w === Weekday.UNSPECIFIED || w < 0 || w > 7) {
    throw invalidArgument(field, "must be MONDAY to SUNDAY");
  }
  return w % 7;
}

function weekdayToProto(day: number): Weekday {
  return (day === 0 ? 7 : day) as Weekday;
}

export function calendarInputFromProto(c: CalendarPb | undefined): CalendarInput {
  if (c === undefined) throw invalidArgument("calendar", "required");
  return {
    name: c.name,
    description: c.description,
    excludedDates: [...c.excludedDates],
    excludedWeekdays: c.excludedWeekdays.map((w, i) =>
      weekdayFromProto(w, `calendar.excluded_weekdays[${i}]`),
    ),
  };
}

export function calendarToProto(c: Calendar): CalendarPb {
  return create(CalendarSchema, {
    name: c.name,
    description: c.description,
    excludedDates: [...c.excludedDates],
    // Monday first, as the enum.
    excludedWeekdays: c.excludedWeekdays.map(weekdayToProto).sort((a, b) => a - b),
    version: BigInt(c.version),
    createTime: timestampFromMs(c.createdMs),
    updateTime: timestampFromMs(c.updatedMs),
  });
}

/** An explained preview as PreviewScheduleResponse fields. */
export function explainedToProto(e: Explained): { fireTimes: FireTime[]; removed: RemovedTime[] } {
  return {
    fireTimes: e.fires.map((f) =>
      create(FireTimeSchema, {
        time: timestampFromMs(f.utcMs),
        localTime: f.local,
        notes: f.notes,
        ...(f.windowEndMs !== undefined && { windowEnd: timestampFromMs(f.windowEndMs) }),
      }),
    ),
    removed: e.removed.map((r) =>
      create(RemovedTimeSchema, {
        time: timestampFromMs(r.utcMs),
        localTime: r.local,
        reason: r.reason,
      }),
    ),
  };
}
