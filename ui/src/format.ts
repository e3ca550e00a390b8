/** How times, durations and enum values read on the page. */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  ExecutionStatus,
  type ExecutionWait,
  WaitReason,
} from "../../gen/chronoring/v1/execution_pb.js";
import { JobStatus } from "../../gen/chronoring/v1/job_pb.js";
import { Priority } from "../../gen/chronoring/v1/priority_pb.js";
import type { ScheduleSpec } from "../../gen/chronoring/v1/schedule_pb.js";

export function ms(ts: Timestamp | undefined): number | undefined {
  return ts ? timestampMs(ts) : undefined;
}

export function time(ts: Timestamp | undefined): string {
  const t = ms(ts);
  return t === undefined
    ? "—"
    : new Date(t)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z");
}

export function duration(msValue: number | undefined): string {
  if (msValue === undefined || !Number.isFinite(msValue)) return "—";
  const abs = Math.abs(msValue);
  const sign = msValue < 0 ? "−" : "";
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  if (abs < 3_600_000) return `${sign}${(abs / 60_000).toFixed(1)} min`;
  return `${sign}${(abs / 3_600_000).toFixed(1)} h`;
}

/** From one timestamp to another, or "—" when either is missing. */
export function between(from: Timestamp | undefined, to: Timestamp | undefined): string {
  const a = ms(from);
  const b = ms(to);
  return a === undefined || b === undefined ? "—" : duration(b - a);
}

/** `EXECUTION_STATUS_SUCCEEDED` → `succeeded`. */
function enumName(names: Record<number, string>, value: number, prefix: string): string {
  const name = names[value] ?? String(value);
  return name.replace(prefix, "").toLowerCase();
}

export const executionStatus = (s: ExecutionStatus) =>
  enumName(ExecutionStatus, s, "EXECUTION_STATUS_");
/** Why a held run waited: `tenant concurrency, 1.2 s (sent back 2 times)`, or "—". */
export function waitText(wait: ExecutionWait | undefined): string {
  if (!wait) return "—";
  const reason = enumName(WaitReason, wait.reason, "WAIT_REASON_").replaceAll("_", " ");
  const took = duration(wait.waited ? durationMs(wait.waited) : 0);
  return `${reason}, ${took}${wait.resends ? ` (sent back ${wait.resends} times)` : ""}`;
}
export const jobStatus = (s: JobStatus) => enumName(JobStatus, s, "JOB_STATUS_");
export const priorityName = (p: Priority) => enumName(Priority, p, "PRIORITY_");

/** Values of a numeric enum, without the unspecified zero. */
export function enumValues(e: Record<string, string | number>): number[] {
  return Object.values(e).filter((v): v is number => typeof v === "number" && v !== 0);
}

/** A schedule as one line: its interval, cron or time, and zone. */
export function scheduleText(spec: ScheduleSpec | undefined): string {
  const kind = spec?.kind;
  let text = "—";
  if (kind?.case === "interval" || kind?.case === "cron") text = `${kind.case} ${kind.value}`;
  if (kind?.case === "at") text = `at ${time(kind.value)}`;
  if (kind?.case === "after") text = `after ${duration(durationMs(kind.value))}`;
  return spec?.timeZone ? `${text} (${spec.timeZone})` : text;
}
