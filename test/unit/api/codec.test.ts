import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DurationSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  ExecutionSchema,
  ExecutionStatus as ExecutionStatusPb,
} from "../../../gen/chronoring/v1/execution_pb.js";
import {
  JobSchema,
  JobStatus as JobStatusPb,
  JobTargetSchema,
} from "../../../gen/chronoring/v1/job_pb.js";
import {
  ListExecutionsRequestSchema,
  ListJobsRequestSchema,
} from "../../../gen/chronoring/v1/job_service_pb.js";
import { ScheduleSpecSchema } from "../../../gen/chronoring/v1/schedule_pb.js";
import {
  executionStatusFromProto,
  executionStatusToProto,
  executionToProto,
  jobStatusFromProto,
  jobStatusToProto,
  jobToProto,
  pageTokenFromProto,
  pageTokenToProto,
  scheduleInputFromProto,
  scheduleToProto,
  targetFromProto,
  targetToProto,
} from "../../../src/api/codec.js";
import { executionQueryFromProto, jobQueryFromProto } from "../../../src/api/query-codec.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import type { Execution, ExecutionStatus } from "../../../src/core/execution.js";
import type { Job, JobStatus, JobTarget, Schedule } from "../../../src/core/job.js";
import { invalidField } from "../../support/invalid-field.js";

const T0 = Date.UTC(2026, 2, 29, 1, 30, 0, 250);
const ID = `job_${"0123456789abcdefghjkmnpqrs"}`;

describe("scheduleInputFromProto", () => {
  it("converts each kind, zone and bounds to epoch ms", () => {
    expect(
      scheduleInputFromProto(
        create(ScheduleSpecSchema, { kind: { case: "at", value: timestampFromMs(T0) } }),
      ),
    ).toEqual({ at: T0 });
    expect(
      scheduleInputFromProto(
        create(ScheduleSpecSchema, {
          kind: {
            case: "after",
            value: create(DurationSchema, { seconds: 90n, nanos: 500_000_000 }),
          },
        }),
      ),
    ).toEqual({ afterMs: 90_500 });
    expect(
      scheduleInputFromProto(
        create(ScheduleSpecSchema, {
          kind: { case: "cron", value: "0 3 * * *" },
          timeZone: "Europe/Berlin",
          startTime: timestampFromMs(T0),
          endTime: timestampFromMs(T0 + 86_400_000),
        }),
      ),
    ).toEqual({
      cron: "0 3 * * *",
      timeZone: "Europe/Berlin",
      startMs: T0,
      endMs: T0 + 86_400_000,
    });
    expect(
      scheduleInputFromProto(
        create(ScheduleSpecSchema, { kind: { case: "interval", value: "rate(5 minutes)" } }),
      ),
    ).toEqual({ interval: "rate(5 minutes)" });
  });

  it("names the field of each bad input", () => {
    expect(invalidField(() => scheduleInputFromProto(undefined))).toBe("schedule");
    expect(invalidField(() => scheduleInputFromProto(create(ScheduleSpecSchema, {})))).toBe(
      "schedule",
    );
    expect(
      invalidField(() =>
        scheduleInputFromProto(
          create(ScheduleSpecSchema, {
            kind: { case: "after", value: create(DurationSchema, { seconds: -1n }) },
          }),
        ),
      ),
    ).toBe("schedule.after");
    expect(
      invalidField(() =>
        scheduleInputFromProto(
          create(ScheduleSpecSchema, {
            kind: { case: "after", value: create(DurationSchema, { seconds: 10n ** 12n }) },
          }),
        ),
      ),
    ).toBe("schedule.after");
    expect(
      invalidField(() =>
        scheduleInputFromProto(
          create(ScheduleSpecSchema, {
            kind: {
              case: "at",
              value: { $typeName: "google.protobuf.Timestamp", seconds: 10n ** 15n, nanos: 0 },
            },
          }),
        ),
      ),
    ).toBe("schedule.at");
    expect(
      invalidField(() =>
        scheduleInputFromProto(
          create(ScheduleSpecSchema, {
            kind: { case: "cron", value: "* * * * *" },
            endTime: { $typeName: "google.protobuf.Timestamp", seconds: 0n, nanos: -1 },
          }),
          "job.schedule",
        ),
      ),
    ).toBe("job.schedule.end_time");
  });
});

describe("scheduleToProto", () => {
  it.each<Schedule>([
    { kind: "once", at: T0 },
    {
      kind: "interval",
      source: "90s",
      periodMs: 90_000,
      anchorMs: T0,
      startMs: T0,
      endMs: T0 + 1000,
    },
    { kind: "interval", source: "rate(1 hour)", periodMs: 3_600_000, anchorMs: T0 },
    { kind: "cron", source: "cron(0 10 * * ? *)", timeZone: "America/New_York", startMs: T0 },
  ])("round-trips $kind through the wire format back to the input", (schedule) => {
    const spec = fromBinary(
      ScheduleSpecSchema,
      toBinary(ScheduleSpecSchema, scheduleToProto(schedule)),
    );
    const back = scheduleInputFromProto(spec);
    switch (schedule.kind) {
      case "once":
        expect(back).toEqual({ at: schedule.at });
        break;
      case "interval":
        expect(back).toEqual({
          interval: schedule.source,
          ...(schedule.startMs !== undefined ? { startMs: schedule.startMs } : {}),
          ...(schedule.endMs !== undefined ? { endMs: schedule.endMs } : {}),
        });
        break;
      case "cron":
        expect(back).toEqual({ cron: schedule.source, timeZone: schedule.timeZone, startMs: T0 });
        break;
    }
  });
});

describe("targets", () => {
  it("fills the defaults", () => {
    expect(
      targetFromProto(
        create(JobTargetSchema, { kind: { case: "http", value: { url: "https://x.test/" } } }),
      ),
    ).toEqual({
      type: "http",
      method: "GET",
      url: "https://x.test/",
      headers: {},
      timeoutMs: 30_000,
    });
    expect(
      targetFromProto(
        create(JobTargetSchema, { kind: { case: "script", value: { command: "echo" } } }),
      ),
    ).toEqual({
      type: "script",
      command: "echo",
      args: [],
      env: {},
      timeoutMs: 60_000,
    });
    expect(targetFromProto(create(JobTargetSchema, { kind: { case: "noop", value: {} } }))).toEqual(
      {
        type: "noop",
        sleepMs: 0,
      },
    );
  });

  it.each<JobTarget>([
    {
      type: "http",
      method: "POST",
      url: "https://example.com/hook?a=1",
      headers: { "content-type": "application/json" },
      bodyBase64: Buffer.from('{"a":1}').toString("base64"),
      timeoutMs: 1500,
    },
    {
      type: "script",
      command: "report",
      args: ["--day", "1"],
      env: { TZ: "UTC" },
      timeoutMs: 120_000,
    },
    { type: "noop", sleepMs: 250 },
  ])("round-trips a $type target", (target) => {
    const wire = fromBinary(JobTargetSchema, toBinary(JobTargetSchema, targetToProto(target)));
    expect(targetFromProto(wire)).toEqual(target);
  });

  it("names the field of each bad input", () => {
    expect(invalidField(() => targetFromProto(undefined))).toBe("target");
    expect(invalidField(() => targetFromProto(create(JobTargetSchema, {})))).toBe("target");
    const negative = create(DurationSchema, { seconds: -5n });
    expect(
      invalidField(() =>
        targetFromProto(
          create(JobTargetSchema, { kind: { case: "http", value: { timeout: negative } } }),
        ),
      ),
    ).toBe("target.http.timeout");
    expect(
      invalidField(() =>
        targetFromProto(
          create(JobTargetSchema, { kind: { case: "script", value: { timeout: negative } } }),
        ),
      ),
    ).toBe("target.script.timeout");
    expect(
      invalidField(() =>
        targetFromProto(
          create(JobTargetSchema, { kind: { case: "noop", value: { sleep: negative } } }),
        ),
      ),
    ).toBe("target.noop.sleep");
    expect(
      invalidField(() =>
        targetFromProto(
          create(JobTargetSchema, {
            kind: {
              case: "noop",
              value: { sleep: create(DurationSchema, { seconds: 1n, nanos: 2_000_000_000 }) },
            },
          }),
        ),
      ),
    ).toBe("target.noop.sleep");
  });
});

describe("enums", () => {
  it("maps every job status both ways, UNSPECIFIED to undefined", () => {
    for (const s of ["ACTIVE", "PAUSED", "CANCELLED", "FINISHED"] as JobStatus[]) {
      expect(jobStatusFromProto(jobStatusToProto(s))).toBe(s);
      expect(JobStatusPb[jobStatusToProto(s)]).toBe(s);
    }
    expect(jobStatusFromProto(JobStatusPb.UNSPECIFIED)).toBeUndefined();
    expect(invalidField(() => jobStatusFromProto(99 as JobStatusPb))).toBe("status");
  });

  it("maps every execution status both ways, UNSPECIFIED to undefined", () => {
    for (const s of [
      "SCHEDULED",
      "QUEUED",
      "RUNNING",
      "SUCCEEDED",
      "FAILED",
      "CANCELLED",
    ] as ExecutionStatus[]) {
      expect(executionStatusFromProto(executionStatusToProto(s))).toBe(s);
      expect(ExecutionStatusPb[executionStatusToProto(s)]).toBe(s);
    }
    expect(executionStatusFromProto(ExecutionStatusPb.UNSPECIFIED)).toBeUndefined();
    expect(invalidField(() => executionStatusFromProto(42 as ExecutionStatusPb))).toBe("status");
  });
});

describe("messages", () => {
  const job: Job = {
    id: ID,
    tenant: DEFAULT_TENANT,
    name: "report",
    schedule: { kind: "cron", source: "0 3 * * *", timeZone: "Europe/Berlin" },
    target: { type: "noop", sleepMs: 0 },
    status: "PAUSED",
    tags: ["a", "b"],
    owner: "team",
    version: 7,
    partition: 13,
    nextRunMs: T0 + 60_000,
    lastRunMs: T0,
    createdMs: T0 - 1000,
    updatedMs: T0 - 500,
  };

  it("writes every field of a job", () => {
    const pb = fromBinary(JobSchema, toBinary(JobSchema, jobToProto(job)));
    expect(pb.id).toBe(ID);
    expect(pb.name).toBe("report");
    expect(pb.status).toBe(JobStatusPb.PAUSED);
    expect(pb.tags).toEqual(["a", "b"]);
    expect(pb.owner).toBe("team");
    expect(pb.version).toBe(7n);
    expect(pb.partition).toBe(13);
    expect(pb.schedule?.kind).toEqual({ case: "cron", value: "0 3 * * *" });
    expect(pb.schedule?.timeZone).toBe("Europe/Berlin");
    expect(pb.target?.kind.case).toBe("noop");
    expect(pb.nextRunTime).toEqual(timestampFromMs(T0 + 60_000));
    expect(pb.lastRunTime).toEqual(timestampFromMs(T0));
    expect(pb.createTime).toEqual(timestampFromMs(T0 - 1000));
    expect(pb.updateTime).toEqual(timestampFromMs(T0 - 500));
  });

  it("leaves absent instants unset", () => {
    const { nextRunMs: _n, lastRunMs: _l, ...rest } = job;
    const pb = jobToProto(rest);
    expect(pb.nextRunTime).toBeUndefined();
    expect(pb.lastRunTime).toBeUndefined();
  });

  it("writes every field of an execution", () => {
    const e: Execution = {
      id: `${ID}:${T0}:2`,
      tenant: DEFAULT_TENANT,
      jobId: ID,
      partition: 3,
      scheduledMs: T0,
      attempt: 2,
      manual: true,
      status: "FAILED",
      workerId: "w-1",
      startedMs: T0 + 10,
      endedMs: T0 + 20,
      error: "exit 1",
    };
    const pb = fromBinary(ExecutionSchema, toBinary(ExecutionSchema, executionToProto(e)));
    expect(pb).toMatchObject({
      id: e.id,
      jobId: ID,
      attempt: 2,
      manual: true,
      status: ExecutionStatusPb.FAILED,
      workerId: "w-1",
      error: "exit 1",
      result: "",
    });
    expect(pb.scheduledTime).toEqual(timestampFromMs(T0));
    expect(pb.startTime).toEqual(timestampFromMs(T0 + 10));
    expect(pb.endTime).toEqual(timestampFromMs(T0 + 20));
  });
});

describe("queries and page tokens", () => {
  it("passes page tokens through, empty meaning none", () => {
    expect(pageTokenFromProto("")).toBeUndefined();
    expect(pageTokenFromProto("abc")).toBe("abc");
    expect(pageTokenToProto(undefined)).toBe("");
    expect(pageTokenToProto("abc")).toBe("abc");
  });

  it("builds a job query with defaults and filters", () => {
    expect(jobQueryFromProto(create(ListJobsRequestSchema, {}))).toEqual({ pageSize: 50 });
    expect(
      jobQueryFromProto(
        create(ListJobsRequestSchema, {
          status: JobStatusPb.ACTIVE,
          tag: "t",
          owner: "o",
          pageSize: 5,
          pageToken: "n",
        }),
      ),
    ).toEqual({ status: "ACTIVE", tag: "t", owner: "o", pageSize: 5, pageToken: "n" });
    expect(
      invalidField(() => jobQueryFromProto(create(ListJobsRequestSchema, { pageSize: 501 }))),
    ).toBe("page_size");
  });

  it("requires job_id or worker_id for executions", () => {
    expect(
      invalidField(() => executionQueryFromProto(create(ListExecutionsRequestSchema, {}))),
    ).toBe("job_id");
    // Whether job_id is a job id is core's rule (withInputChecks), checked once there.
    expect(
      executionQueryFromProto(create(ListExecutionsRequestSchema, { jobId: "nope" })).jobId,
    ).toBe("nope");
    expect(executionQueryFromProto(create(ListExecutionsRequestSchema, { workerId: "w" }))).toEqual(
      {
        workerId: "w",
        pageSize: 50,
      },
    );
    expect(
      executionQueryFromProto(
        create(ListExecutionsRequestSchema, {
          jobId: ID,
          status: ExecutionStatusPb.RUNNING,
          pageSize: 1,
        }),
      ),
    ).toEqual({ jobId: ID, status: "RUNNING", pageSize: 1 });
  });
});
