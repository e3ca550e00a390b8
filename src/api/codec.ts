/**
 * Proto ↔ domain conversion, in one module. Converting a request checks only
 * what the wire format can get wrong (missing messages, out-of-range
 * Timestamps and Durations, unknown enum values); the rules of a job live in
 * `core/validate-job.ts` and the schedule parser.
 */

import { create } from "@bufbuild/protobuf";
import {
  durationFromMs,
  type Timestamp,
  timestampFromMs,
  timestampMs,
} from "@bufbuild/protobuf/wkt";
import {
  type Execution as ExecutionPb,
  ExecutionSchema,
  ExecutionStatus as ExecutionStatusPb,
} from "../../gen/chronoring/v1/execution_pb.js";
import {
  type Job as JobPb,
  JobSchema,
  JobStatus as JobStatusPb,
  type JobTarget as JobTargetPb,
  JobTargetSchema,
} from "../../gen/chronoring/v1/job_pb.js";
import type { CreateJobRequest } from "../../gen/chronoring/v1/job_service_pb.js";
import { type ScheduleSpec, ScheduleSpecSchema } from "../../gen/chronoring/v1/schedule_pb.js";
import { invalidArgument } from "../core/errors.js";
import type { Execution, ExecutionStatus } from "../core/execution.js";
import type { Job, JobStatus, JobTarget, Schedule } from "../core/job.js";
import type { JobInput } from "../core/job-commands.js";
import { currentPause } from "../core/pause.js";
import type { ScheduleInput } from "../core/schedule/index.js";
import { databaseTargetFromProto, databaseTargetToProto } from "./database-codec.js";
import { msFromDuration } from "./duration.js";
import { invert } from "./enum-map.js";
import { failurePolicyFromProto, failurePolicyToProto } from "./failure-policy-codec.js";
import { fileTargetFromProto, fileTargetToProto } from "./file-target-codec.js";
import { limitsFromProto, limitsToProto } from "./limits-codec.js";
import { retryPolicyFromProto, retryPolicyToProto } from "./retry-codec.js";

export { msFromDuration };

import {
  notificationsFromProto,
  notificationsToProto,
  webhookTargetFromProto,
  webhookTargetToProto,
} from "./codec-notify.js";
import { pauseToProto } from "./pause-codec.js";
import { policiesToProto, policyInputFromProto } from "./policy-codec.js";
import { priorityFromProto, priorityToProto } from "./priority-codec.js";
import { waitToProto } from "./wait-codec.js";

export const HTTP_TIMEOUT_DEFAULT_MS = 30_000;
export const SCRIPT_TIMEOUT_DEFAULT_MS = 60_000;

// google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const TIMESTAMP_MIN_S = -62_135_596_800n;
const TIMESTAMP_MAX_S = 253_402_300_799n;

/** Epoch ms of a Timestamp; invalid_argument on `field` when out of range. */
export function msFromTimestamp(ts: Timestamp, field: string): number {
  if (
    ts.seconds < TIMESTAMP_MIN_S ||
    ts.seconds > TIMESTAMP_MAX_S ||
    ts.nanos < 0 ||
    ts.nanos > 999_999_999
  ) {
    throw invalidArgument(field, "not a valid timestamp (years 1 to 9999)");
  }
  return timestampMs(ts);
}

function optionalMs(ts: Timestamp | undefined, field: string): number | undefined {
  return ts === undefined ? undefined : msFromTimestamp(ts, field);
}

function optionalTs(ms: number | undefined): Timestamp | undefined {
  return ms === undefined ? undefined : timestampFromMs(ms);
}

// ---- schedule ----------------------------------------------------------------

/** Converts a ScheduleSpec for `parseSchedule`; `field` is its path in the request. */
export function scheduleInputFromProto(
  spec: ScheduleSpec | undefined,
  field = "schedule",
): ScheduleInput {
  if (spec === undefined) throw invalidArgument(field, "required");
  const input: ScheduleInput = {};
  switch (spec.kind.case) {
    case "at":
      input.at = msFromTimestamp(spec.kind.value, `${field}.at`);
      break;
    case "after":
      input.afterMs = msFromDuration(spec.kind.value, `${field}.after`);
      break;
    case "interval":
      input.interval = spec.kind.value;
      break;
    case "cron":
      input.cron = spec.kind.value;
      break;
    default:
      throw invalidArgument(field, "one of at, after, interval, cron is required");
  }
  if (spec.timeZone !== "") input.timeZone = spec.timeZone;
  const startMs = optionalMs(spec.startTime, `${field}.start_time`);
  const endMs = optionalMs(spec.endTime, `${field}.end_time`);
  if (startMs !== undefined) input.startMs = startMs;
  if (endMs !== undefined) input.endMs = endMs;
  return { ...input, ...policyInputFromProto(spec, field, msFromDuration) };
}

export function scheduleToProto(schedule: Schedule): ScheduleSpec {
  return Object.assign(plainScheduleToProto(schedule), policiesToProto(schedule));
}

function plainScheduleToProto(schedule: Schedule): ScheduleSpec {
  switch (schedule.kind) {
    case "once":
      return create(ScheduleSpecSchema, {
        kind: { case: "at", value: timestampFromMs(schedule.at) },
      });
    case "interval":
      return create(ScheduleSpecSchema, {
        kind: { case: "interval", value: schedule.source },
        startTime: optionalTs(schedule.startMs),
        endTime: optionalTs(schedule.endMs),
      });
    case "cron":
      return create(ScheduleSpecSchema, {
        kind: { case: "cron", value: schedule.source },
        timeZone: schedule.timeZone,
        startTime: optionalTs(schedule.startMs),
        endTime: optionalTs(schedule.endMs),
      });
  }
}

// ---- target ------------------------------------------------------------------

/** Converts a target, filling the defaults (GET, 30 s; 60 s; no sleep). */
export function targetFromProto(t: JobTargetPb | undefined, field = "target"): JobTarget {
  switch (t?.kind.case) {
    case "http": {
      const h = t.kind.value;
      const target: JobTarget = {
        type: "http",
        method: h.method === "" ? "GET" : h.method,
        url: h.url,
        headers: { ...h.headers },
        timeoutMs: h.timeout
          ? msFromDuration(h.timeout, `${field}.http.timeout`)
          : HTTP_TIMEOUT_DEFAULT_MS,
      };
      if (h.body.length > 0) target.bodyBase64 = Buffer.from(h.body).toString("base64");
      return target;
    }
    case "script": {
      const s = t.kind.value;
      return {
        type: "script",
        command: s.command,
        args: [...s.args],
        env: { ...s.env },
        timeoutMs: s.timeout
          ? msFromDuration(s.timeout, `${field}.script.timeout`)
          : SCRIPT_TIMEOUT_DEFAULT_MS,
      };
    }
    case "noop": {
      const n = t.kind.value;
      return {
        type: "noop",
        sleepMs: n.sleep ? msFromDuration(n.sleep, `${field}.noop.sleep`) : 0,
      };
    }
    case "webhook": {
      const w = t.kind.value;
      const timeoutMs = w.timeout
        ? msFromDuration(w.timeout, `${field}.webhook.timeout`)
        : HTTP_TIMEOUT_DEFAULT_MS;
      return webhookTargetFromProto(w, timeoutMs);
    }
    case "file":
      return fileTargetFromProto(t.kind.value, `${field}.file`);
    case "database":
      return databaseTargetFromProto(t.kind.value, `${field}.database`);
    default:
      throw invalidArgument(
        field,
        "required: exactly one of http, script, noop, webhook, file, database",
      );
  }
}

export function targetToProto(t: JobTarget): JobTargetPb {
  switch (t.type) {
    case "http":
      return create(JobTargetSchema, {
        kind: {
          case: "http",
          value: {
            method: t.method,
            url: t.url,
            headers: { ...t.headers },
            body: t.bodyBase64 ? Buffer.from(t.bodyBase64, "base64") : new Uint8Array(),
            timeout: durationFromMs(t.timeoutMs),
          },
        },
      });
    case "script":
      return create(JobTargetSchema, {
        kind: {
          case: "script",
          value: {
            command: t.command,
            args: [...t.args],
            env: { ...t.env },
            timeout: durationFromMs(t.timeoutMs),
          },
        },
      });
    case "noop":
      return create(JobTargetSchema, {
        kind: { case: "noop", value: { sleep: durationFromMs(t.sleepMs) } },
      });
    case "webhook":
      return create(JobTargetSchema, {
        kind: { case: "webhook", value: webhookTargetToProto(t, durationFromMs(t.timeoutMs)) },
      });
    case "workflow":
      return create(JobTargetSchema, {
        kind: { case: "workflow", value: { workflowId: t.workflowId } },
      });
    case "file":
      return create(JobTargetSchema, { kind: { case: "file", value: fileTargetToProto(t) } });
    case "database":
      return create(JobTargetSchema, {
        kind: { case: "database", value: databaseTargetToProto(t) },
      });
  }
}

// ---- enums -------------------------------------------------------------------

const JOB_STATUS_TO_PROTO: Record<JobStatus, JobStatusPb> = {
  ACTIVE: JobStatusPb.ACTIVE,
  PAUSED: JobStatusPb.PAUSED,
  CANCELLED: JobStatusPb.CANCELLED,
  FINISHED: JobStatusPb.FINISHED,
};

const EXECUTION_STATUS_TO_PROTO: Record<ExecutionStatus, ExecutionStatusPb> = {
  SCHEDULED: ExecutionStatusPb.SCHEDULED,
  QUEUED: ExecutionStatusPb.QUEUED,
  RUNNING: ExecutionStatusPb.RUNNING,
  SUCCEEDED: ExecutionStatusPb.SUCCEEDED,
  FAILED: ExecutionStatusPb.FAILED,
  CANCELLED: ExecutionStatusPb.CANCELLED,
  SKIPPED: ExecutionStatusPb.SKIPPED,
  DEAD: ExecutionStatusPb.DEAD,
};

const JOB_STATUS_FROM_PROTO = invert(JOB_STATUS_TO_PROTO);
const EXECUTION_STATUS_FROM_PROTO = invert(EXECUTION_STATUS_TO_PROTO);

export function jobStatusToProto(s: JobStatus): JobStatusPb {
  return JOB_STATUS_TO_PROTO[s];
}

/** UNSPECIFIED → undefined; a number this server does not know → invalid_argument. */
export function jobStatusFromProto(s: JobStatusPb, field = "status"): JobStatus | undefined {
  if (s === JobStatusPb.UNSPECIFIED) return undefined;
  const status = JOB_STATUS_FROM_PROTO.get(s);
  if (status === undefined) throw invalidArgument(field, `unknown job status ${s}`);
  return status;
}

export function executionStatusToProto(s: ExecutionStatus): ExecutionStatusPb {
  return EXECUTION_STATUS_TO_PROTO[s];
}

/** UNSPECIFIED → undefined; a number this server does not know → invalid_argument. */
export function executionStatusFromProto(
  s: ExecutionStatusPb,
  field = "status",
): ExecutionStatus | undefined {
  if (s === ExecutionStatusPb.UNSPECIFIED) return undefined;
  const status = EXECUTION_STATUS_FROM_PROTO.get(s);
  if (status === undefined) throw invalidArgument(field, `unknown execution status ${s}`);
  return status;
}

// ---- page tokens -------------------------------------------------------------

/** Tokens are opaque to the API; "" means the first page. */
export function pageTokenFromProto(token: string): string | undefined {
  return token === "" ? undefined : token;
}

export function pageTokenToProto(token: string | undefined): string {
  return token ?? "";
}

// ---- messages ----------------------------------------------------------------

export function jobToProto(job: Job): JobPb {
  return create(JobSchema, {
    id: job.id,
    name: job.name,
    schedule: scheduleToProto(job.schedule),
    target: targetToProto(job.target),
    status: jobStatusToProto(job.status),
    tags: [...job.tags],
    owner: job.owner,
    version: BigInt(job.version),
    nextRunTime: optionalTs(job.nextRunMs),
    lastRunTime: optionalTs(job.lastRunMs),
    partition: job.partition,
    createTime: timestampFromMs(job.createdMs),
    updateTime: timestampFromMs(job.updatedMs),
    limits: limitsToProto(job.limits),
    retryPolicy: job.retryPolicy ? retryPolicyToProto(job.retryPolicy) : undefined,
    priority: priorityToProto(job.priority),
    missedRuns: BigInt(job.missedRuns ?? 0),
    notifications: notificationsToProto(job.notifications),
    idempotencyKey: job.idempotencyKey ?? "",
    externalKey: job.externalKey ?? "",
    applyNamespace: job.applyNamespace ?? "",
    workflowId: job.workflowId ?? "",
    dependsOn: [...(job.dependsOn ?? [])],
    pause: job.status === "PAUSED" ? pauseOf(job) : undefined,
    pauseHistory: (job.pauses ?? []).map(pauseToProto),
    ...failurePolicyToProto(job),
  });
}

/** The pause in force; a job paused before pauses were recorded shows its last change as the start. */
function pauseOf(job: Job) {
  const open = currentPause(job.pauses) ?? { pausedMs: job.updatedMs, by: "" };
  return pauseToProto(open);
}

export function executionToProto(e: Execution): ExecutionPb {
  return create(ExecutionSchema, {
    id: e.id,
    jobId: e.jobId,
    scheduledTime: timestampFromMs(e.scheduledMs),
    attempt: e.attempt,
    status: executionStatusToProto(e.status),
    workerId: e.workerId ?? "",
    queueTime: optionalTs(e.queuedMs),
    startTime: optionalTs(e.startedMs),
    endTime: optionalTs(e.endedMs),
    result: e.result ?? "",
    error: e.error ?? "",
    manual: e.manual,
    nextAttemptTime: optionalTs(e.nextAttemptMs),
    checkpoint: e.checkpoint ?? new Uint8Array(),
    ...(e.wait ? { wait: waitToProto(e.wait) } : {}),
  });
}

/** CreateJobRequest → JobInput (defaults filled, not yet validated). */
export function jobInputFromProto(req: CreateJobRequest): JobInput {
  const priority = priorityFromProto(req.priority);
  return {
    name: req.name,
    schedule: scheduleInputFromProto(req.schedule),
    target: targetFromProto(req.target),
    tags: [...req.tags],
    owner: req.owner,
    ...(req.limits ? { limits: limitsFromProto(req.limits) } : {}),
    ...optionalRetryPolicy(retryPolicyFromProto(req.retryPolicy)),
    ...(priority ? { priority } : {}),
    ...(req.notifications ? { notifications: notificationsFromProto(req.notifications) } : {}),
    ...(req.idempotencyKey !== "" ? { idempotencyKey: req.idempotencyKey } : {}),
    ...(req.externalKey !== "" ? { externalKey: req.externalKey } : {}),
    ...failurePolicyFromProto(req),
  };
}

function optionalRetryPolicy(p: JobInput["retryPolicy"]): Pick<JobInput, "retryPolicy"> {
  return p ? { retryPolicy: p } : {};
}
