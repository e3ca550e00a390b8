/**
 * Calendars and time policies through the API, against DynamoDB Local and
 * the SQS emulator: CalendarService, every bad input of the new fields and
 * RPCs with its code, PreviewSchedule's removed and rolled times with their
 * reasons, and runs that a calendar skips or rolls, fired by the scheduler
 * (the clock is moved to the days around Christmas 2026).
 */

import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CalendarService, Weekday } from "../../../gen/chronoring/v1/calendar_service_pb.js";
import { CalendarMode, MisfireMode } from "../../../gen/chronoring/v1/schedule_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { type Clock, clockWithNow } from "../../../src/core/clock.js";
import { jitterOffset } from "../../../src/core/schedule/index.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

type Calendars = Client<typeof CalendarService>;
type Jobs = ReturnType<typeof jobClient>;

const noop = { kind: { case: "noop" as const, value: {} } };
const BERLIN = "Europe/Berlin";

function shiftedClock(): Clock & { setNow(ms: number): void } {
  let offset = 0;
  return {
    ...clockWithNow(() => Date.now() + offset),
    setNow(ms) {
      offset = ms - Date.now();
    },
  };
}

async function codeOf(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

const cron = (value: string, extra: Record<string, unknown> = {}) => ({
  kind: { case: "cron" as const, value },
  timeZone: BERLIN,
  ...extra,
});

interface Row {
  name: string;
  call: (c: Calendars, j: Jobs) => Promise<unknown>;
  code: Code;
  /** InvalidArgument and FailedPrecondition messages start with `field: `. */
  field?: string;
}

const rows: Row[] = [
  {
    name: "CreateCalendar without a calendar",
    call: (c) => c.createCalendar({}),
    code: Code.InvalidArgument,
    field: "calendar",
  },
  {
    name: "a calendar name with capitals",
    call: (c) => c.createCalendar({ calendar: { name: "Holidays" } }),
    code: Code.InvalidArgument,
    field: "calendar.name",
  },
  {
    name: "an empty calendar name",
    call: (c) => c.createCalendar({ calendar: { name: "" } }),
    code: Code.InvalidArgument,
    field: "calendar.name",
  },
  {
    name: "an impossible date",
    call: (c) =>
      c.createCalendar({
        calendar: { name: "bad-date", excludedDates: ["2026-12-25", "2026-02-30"] },
      }),
    code: Code.InvalidArgument,
    field: "calendar.excluded_dates[1]",
  },
  {
    name: "a date in another format",
    call: (c) =>
      c.createCalendar({ calendar: { name: "bad-date", excludedDates: ["25.12.2026"] } }),
    code: Code.InvalidArgument,
    field: "calendar.excluded_dates[0]",
  },
  {
    name: "an unspecified weekday",
    call: (c) =>
      c.createCalendar({ calendar: { name: "bad-day", excludedWeekdays: [Weekday.UNSPECIFIED] } }),
    code: Code.InvalidArgument,
    field: "calendar.excluded_weekdays[0]",
  },
  {
    name: "every weekday excluded",
    call: (c) =>
      c.createCalendar({ calendar: { name: "never", excludedWeekdays: [1, 2, 3, 4, 5, 6, 7] } }),
    code: Code.InvalidArgument,
    field: "calendar.excluded_weekdays",
  },
  {
    name: "a description over 500 characters",
    call: (c) => c.createCalendar({ calendar: { name: "long", description: "x".repeat(501) } }),
    code: Code.InvalidArgument,
    field: "calendar.description",
  },
  {
    name: "a calendar name that is taken",
    call: (c) => c.createCalendar({ calendar: { name: "xmas" } }),
    code: Code.AlreadyExists,
  },
  {
    name: "GetCalendar of an unknown name",
    call: (c) => c.getCalendar({ name: "nope" }),
    code: Code.NotFound,
  },
  {
    name: "GetCalendar of a malformed name",
    call: (c) => c.getCalendar({ name: "no pe" }),
    code: Code.InvalidArgument,
    field: "name",
  },
  {
    name: "UpdateCalendar without a mask",
    call: (c) => c.updateCalendar({ calendar: { name: "xmas" } }),
    code: Code.InvalidArgument,
    field: "update_mask",
  },
  {
    name: "UpdateCalendar with an unknown path",
    call: (c) => c.updateCalendar({ calendar: { name: "xmas" }, updateMask: { paths: ["name"] } }),
    code: Code.InvalidArgument,
    field: "update_mask",
  },
  {
    name: "UpdateCalendar at another version",
    call: (c) =>
      c.updateCalendar({
        calendar: { name: "xmas", description: "d" },
        updateMask: { paths: ["description"] },
        expectedVersion: 99n,
      }),
    code: Code.Aborted,
  },
  {
    name: "UpdateCalendar of an unknown calendar",
    call: (c) =>
      c.updateCalendar({
        calendar: { name: "nope", description: "d" },
        updateMask: { paths: ["description"] },
      }),
    code: Code.NotFound,
  },
  {
    name: "UpdateCalendar with a bad date",
    call: (c) =>
      c.updateCalendar({
        calendar: { name: "xmas", excludedDates: ["2026-13-01"] },
        updateMask: { paths: ["excluded_dates"] },
      }),
    code: Code.InvalidArgument,
    field: "calendar.excluded_dates[0]",
  },
  {
    name: "DeleteCalendar of an unknown calendar",
    call: (c) => c.deleteCalendar({ name: "nope" }),
    code: Code.NotFound,
  },
  {
    name: "DeleteCalendar of a calendar a job uses",
    call: (c) => c.deleteCalendar({ name: "xmas" }),
    code: Code.FailedPrecondition,
  },
  {
    name: "CreateJob naming an unknown calendar",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *", { calendar: { name: "nope" } }),
      }),
    code: Code.FailedPrecondition,
    field: "schedule.calendar.name",
  },
  {
    name: "CreateJob with a calendar on a one-time job",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: {
          kind: { case: "after", value: durationFromMs(60_000) },
          calendar: { name: "xmas" },
        },
      }),
    code: Code.InvalidArgument,
    field: "schedule.calendar",
  },
  {
    name: "CreateJob with an unknown calendar mode",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *", { calendar: { name: "xmas", mode: 9 } }),
      }),
    code: Code.InvalidArgument,
    field: "schedule.calendar.mode",
  },
  {
    name: "CreateJob with jitter as long as the period",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: { kind: { case: "interval", value: "1m" }, jitter: durationFromMs(60_000) },
      }),
    code: Code.InvalidArgument,
    field: "schedule.jitter",
  },
  {
    name: "CreateJob with negative jitter",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: { kind: { case: "interval", value: "1m" }, jitter: { seconds: -1n, nanos: 0 } },
      }),
    code: Code.InvalidArgument,
    field: "schedule.jitter",
  },
  {
    name: "CreateJob with jitter on a one-time job",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: {
          kind: { case: "after", value: durationFromMs(60_000) },
          jitter: durationFromMs(1000),
        },
      }),
    code: Code.InvalidArgument,
    field: "schedule.jitter",
  },
  {
    name: "CreateJob with an unknown misfire mode",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *", { misfire: { mode: 7 } }),
      }),
    code: Code.InvalidArgument,
    field: "schedule.misfire.mode",
  },
  {
    name: "CreateJob with max_catch_up but not FIRE_ALL",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *", { misfire: { mode: MisfireMode.SKIP, maxCatchUp: 5 } }),
      }),
    code: Code.InvalidArgument,
    field: "schedule.misfire.max_catch_up",
  },
  {
    name: "CreateJob with max_catch_up over 1000",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *", { misfire: { mode: MisfireMode.FIRE_ALL, maxCatchUp: 1001 } }),
      }),
    code: Code.InvalidArgument,
    field: "schedule.misfire.max_catch_up",
  },
  {
    name: "CreateJob with a catch-up window over 7 days",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *", {
          misfire: { mode: MisfireMode.FIRE_ALL, window: durationFromMs(8 * 86_400_000) },
        }),
      }),
    code: Code.InvalidArgument,
    field: "schedule.misfire.window",
  },
  {
    name: "CreateJob with a misfire threshold under 1 s",
    call: (_, j) =>
      j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *", { misfire: { threshold: durationFromMs(500) } }),
      }),
    code: Code.InvalidArgument,
    field: "schedule.misfire.threshold",
  },
  {
    name: "UpdateJob to an unknown calendar",
    call: async (_, j) => {
      const { job } = await j.createJob({
        name: "n",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *"),
      });
      return j.updateJob({
        job: { id: job!.id, schedule: cron("0 12 * * *", { calendar: { name: "nope" } }) },
        updateMask: { paths: ["schedule"] },
      });
    },
    code: Code.FailedPrecondition,
    field: "schedule.calendar.name",
  },
  {
    name: "PreviewSchedule naming an unknown calendar",
    call: (_, j) =>
      j.previewSchedule({ schedule: cron("0 12 * * *", { calendar: { name: "nope" } }) }),
    code: Code.FailedPrecondition,
    field: "schedule.calendar.name",
  },
  {
    name: "PreviewSchedule with a malformed job_id",
    call: (_, j) => j.previewSchedule({ schedule: cron("0 12 * * *"), jobId: "nope" }),
    code: Code.InvalidArgument,
    field: "job_id",
  },
];

describe("calendars and time policies through the API", () => {
  const clock = shiftedClock();
  let app: App;
  let calendars: Calendars;
  let jobs: Jobs;

  beforeAll(async () => {
    const config = testConfig("calendars", { ETCD_ENDPOINTS: "", CALENDAR_TTL_MS: "200" });
    app = await startApp(config, { logger: silentLogger, clock });
    calendars = createClient(CalendarService, createGrpcTransport({ baseUrl: app.apiUrl! }));
    jobs = jobClient(app.apiUrl!);
    await calendars.createCalendar({
      calendar: {
        name: "xmas",
        description: "Christmas",
        excludedDates: ["2026-12-26", "2026-12-25", "2026-12-25"],
      },
    });
    await jobs.createJob({
      name: "uses xmas",
      owner: "o",
      target: noop,
      schedule: cron("0 12 * * *", { calendar: { name: "xmas" } }),
    });
  }, 60_000);
  afterAll(() => app?.close());

  describe("bad input gets its code and names the field", () => {
    for (const row of rows) {
      it(`${row.name} → ${Code[row.code]}${row.field ? ` on ${row.field}` : ""}`, async () => {
        const err = await codeOf(row.call(calendars, jobs));
        expect(Code[err.code], err.rawMessage).toBe(Code[row.code]);
        if (row.field)
          expect(err.rawMessage.startsWith(`${row.field}: `), err.rawMessage).toBe(true);
      });
    }
  });

  it("creates, reads, lists, updates and deletes a calendar", async () => {
    const { calendar } = await calendars.createCalendar({
      calendar: { name: "weekends", excludedWeekdays: [Weekday.SUNDAY, Weekday.SATURDAY] },
    });
    expect(calendar?.version).toBe(1n);
    expect(calendar?.excludedWeekdays).toEqual([Weekday.SATURDAY, Weekday.SUNDAY]);
    const xmas = (await calendars.getCalendar({ name: "xmas" })).calendar;
    expect(xmas?.excludedDates).toEqual(["2026-12-25", "2026-12-26"]);
    const names = (await calendars.listCalendars({})).calendars.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["weekends", "xmas"]));
    const updated = await calendars.updateCalendar({
      calendar: { name: "weekends", description: "no work", excludedDates: ["2027-01-01"] },
      updateMask: { paths: ["description"] },
      expectedVersion: 1n,
    });
    expect(updated.calendar?.version).toBe(2n);
    expect(updated.calendar?.description).toBe("no work");
    expect(updated.calendar?.excludedDates).toEqual([]);
    await calendars.deleteCalendar({ name: "weekends" });
    expect((await codeOf(calendars.getCalendar({ name: "weekends" }))).code).toBe(Code.NotFound);
  });

  it("PreviewSchedule shows the times a calendar removed or rolled, with reasons", async () => {
    const after = timestampFromMs(Date.parse("2026-12-24T12:00:00+01:00"));
    const skip = await jobs.previewSchedule({
      schedule: cron("0 12 * * *", { calendar: { name: "xmas", mode: CalendarMode.SKIP } }),
      count: 1,
      after,
    });
    expect(skip.fireTimes.map((f) => f.localTime)).toEqual(["2026-12-27T12:00:00.000+01:00"]);
    expect(skip.removed.map((r) => [r.localTime, r.reason])).toEqual([
      ["2026-12-25T12:00:00.000+01:00", '2026-12-25 is excluded by calendar "xmas" (skipped)'],
      ["2026-12-26T12:00:00.000+01:00", '2026-12-26 is excluded by calendar "xmas" (skipped)'],
    ]);
    const roll = await jobs.previewSchedule({
      schedule: cron("0 12 * * 5", { calendar: { name: "xmas", mode: CalendarMode.ROLL_FORWARD } }),
      count: 2,
      after,
    });
    expect(roll.fireTimes.map((f) => f.localTime)).toEqual([
      "2026-12-27T12:00:00.000+01:00",
      "2027-01-01T12:00:00.000+01:00",
    ]);
    expect(roll.fireTimes[0]?.notes).toEqual([
      'calendar: rolled from 2026-12-25T12:00:00.000+01:00 (2026-12-25 is excluded by calendar "xmas")',
    ]);
    expect(roll.removed.map((r) => r.reason)).toEqual([
      '2026-12-25 is excluded by calendar "xmas"; rolled to 2026-12-27T12:00:00.000+01:00',
    ]);
  });

  it("PreviewSchedule notes a DST gap", async () => {
    const out = await jobs.previewSchedule({
      schedule: cron("30 2 * * *"),
      count: 1,
      after: timestampFromMs(Date.parse("2026-03-28T12:00:00+01:00")),
    });
    expect(out.fireTimes[0]?.localTime).toBe("2026-03-29T03:00:00.000+02:00");
    expect(out.fireTimes[0]?.notes[0]).toMatch(/^DST gap: 02:30 does not exist on 2026-03-29/);
  });

  it("the scheduler skips an excluded date and fires a rolled run on the rolled date", async () => {
    clock.setNow(Date.parse("2026-12-24T13:00:00+01:00"));
    const skipping = (
      await jobs.createJob({
        name: "daily",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * *", { calendar: { name: "xmas", mode: CalendarMode.SKIP } }),
      })
    ).job!;
    const rolling = (
      await jobs.createJob({
        name: "fridays",
        owner: "o",
        target: noop,
        schedule: cron("0 12 * * 5", {
          calendar: { name: "xmas", mode: CalendarMode.ROLL_FORWARD },
        }),
      })
    ).job!;
    const sunday = Date.parse("2026-12-27T12:00:00+01:00");
    expect(timestampMs(skipping.nextRunTime!)).toBe(sunday);
    expect(timestampMs(rolling.nextRunTime!)).toBe(sunday);

    clock.setNow(sunday - 2000);
    for (const job of [skipping, rolling]) {
      const [run] = await waitFor(`the run of ${job.name}`, async () => {
        const { executions } = await jobs.listExecutions({ jobId: job.id, pageSize: 10 });
        return executions.length > 0 ? executions : undefined;
      });
      expect(run!.id).toBe(`${job.id}:${sunday}:1`);
      const { job: after } = await jobs.getJob({ id: job.id });
      expect(after?.lastRunTime && timestampMs(after.lastRunTime)).toBe(sunday);
    }
    const { job: next } = await jobs.getJob({ id: rolling.id });
    expect(timestampMs(next!.nextRunTime!)).toBe(Date.parse("2027-01-01T12:00:00+01:00"));
  });

  it("a job's jitter is applied by the scheduler and shown by PreviewSchedule with its job_id", async () => {
    clock.setNow(Date.now());
    // A start time anchors the interval, so that the preview re-reads the same runs.
    const created = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const { job } = await jobs.createJob({
      name: "jittered",
      owner: "o",
      target: noop,
      schedule: {
        kind: { case: "interval", value: "1h" },
        startTime: timestampFromMs(created),
        jitter: durationFromMs(30 * 60_000),
      },
    });
    const next = timestampMs(job!.nextRunTime!);
    expect(next).toBeGreaterThanOrEqual(created);
    expect(next).toBeLessThan(created + 30 * 60_000);
    const preview = await jobs.previewSchedule({
      schedule: job!.schedule!,
      count: 1,
      after: timestampFromMs(next - 1),
      jobId: job!.id,
    });
    expect(timestampMs(preview.fireTimes[0]!.time!)).toBe(next);
    expect(preview.fireTimes[0]?.notes[0]).toMatch(/^jitter: \+\d+ ms after /);
  });

  it("fired runs are scheduled at their jittered instant: nominal + offset(job id, nominal)", async () => {
    const start = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const { job } = await jobs.createJob({
      name: "jittered every 2 s",
      owner: "o",
      target: noop,
      schedule: {
        kind: { case: "interval", value: "2s" },
        startTime: timestampFromMs(start),
        jitter: durationFromMs(1500),
      },
    });
    const runs = await waitFor("two jittered runs", async () => {
      const { executions } = await jobs.listExecutions({ jobId: job!.id, pageSize: 10 });
      return executions.length >= 2 ? executions : undefined;
    });
    for (const run of runs) {
      const at = timestampMs(run.scheduledTime!);
      const nominal = start + Math.floor((at - start) / 2000) * 2000;
      expect(at).toBe(nominal + jitterOffset(job!.id, nominal, 1500));
      expect(run.id).toBe(`${job!.id}:${at}:1`);
    }
    await jobs.deleteJob({ id: job!.id });
  });
});
