/**
 * How jobs and executions read in tables and detail views: the columns and
 * the one-line texts of a schedule and a target. Shared by the jobs, runs,
 * dlq and cluster commands.
 */

import { type Duration, durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type Execution,
  ExecutionStatusSchema,
  WaitReasonSchema,
} from "../../gen/chronoring/v1/execution_pb.js";
import {
  FileOperationSchema,
  type Job,
  type JobPause,
  JobStatusSchema,
  type JobTarget,
} from "../../gen/chronoring/v1/job_pb.js";
import { PrioritySchema } from "../../gen/chronoring/v1/priority_pb.js";
import { RetryStrategySchema } from "../../gen/chronoring/v1/retry_pb.js";
import type { ScheduleSpec } from "../../gen/chronoring/v1/schedule_pb.js";
import { enumLabel } from "./flag-values.js";
import type { Column } from "./output.js";
import { spanText, utcText, whenText } from "./time-text.js";

/** `90s`, `5m`: a Duration as the flags take it. */
export function durationText(d: Duration | undefined): string {
  if (d === undefined) return "-";
  const ms = durationMs(d);
  return ms % 1000 === 0 ? spanText(ms) : `${ms}ms`;
}

/** `cron 0 2 * * * Europe/Berlin`, `interval rate(5 minutes)`, `at 2026-12-04 08:00:00`. */
export function scheduleText(s: ScheduleSpec | undefined): string {
  if (s === undefined) return "-";
  const zone = s.timeZone ? ` ${s.timeZone}` : "";
  switch (s.kind.case) {
    case "cron":
      return `cron ${s.kind.value}${zone}`;
    case "interval":
      return `every ${s.kind.value}`;
    case "at":
      return `at ${utcText(timestampMs(s.kind.value))}`;
    case "after":
      return `after ${durationText(s.kind.value)}`;
    default:
      return "-";
  }
}

/** `http POST https://...`, `script backup.sh --full`, `noop`, `webhook https://...`, `file copy exports:in/*.csv → out`. */
export function targetText(t: JobTarget | undefined): string {
  switch (t?.kind.case) {
    case "http":
      return `http ${t.kind.value.method || "GET"} ${t.kind.value.url}`;
    case "script":
      return ["script", t.kind.value.command, ...t.kind.value.args].join(" ");
    case "noop":
      return t.kind.value.sleep ? `noop (sleeps ${durationText(t.kind.value.sleep)})` : "noop";
    case "webhook":
      return `webhook ${t.kind.value.url}`;
    case "workflow":
      return `workflow ${t.kind.value.workflowId}`;
    case "file": {
      const f = t.kind.value;
      const op = enumLabel(FileOperationSchema, f.operation).toLowerCase();
      const to = f.destination ? ` → ${f.destination}` : "";
      return `file ${op} ${f.root}:${f.sources.join(",")}${to}`;
    }
    case "database": {
      const d = t.kind.value;
      const what =
        d.statement.case === "procedure" ? `CALL ${d.statement.value}` : d.statement.value;
      return `database ${d.connection}: ${(what ?? "").replace(/\s+/g, " ").slice(0, 60)}`;
    }
    default:
      return "-";
  }
}

export function jobColumns(nowMs: number): Column<Job>[] {
  return [
    { header: "ID", value: (j) => j.id },
    { header: "NAME", value: (j) => j.name, flex: true },
    { header: "STATUS", value: (j) => enumLabel(JobStatusSchema, j.status) },
    { header: "SCHEDULE", value: (j) => scheduleText(j.schedule), flex: true },
    { header: "NEXT RUN (UTC)", value: (j) => whenText(j.nextRunTime, nowMs), flex: true },
    { header: "OWNER", value: (j) => j.owner, optional: true, flex: true },
    { header: "TAGS", value: (j) => j.tags.join(",") || "-", optional: true, flex: true },
  ];
}

/** One job, field by field. */
export function jobFields(j: Job, nowMs: number): Array<[string, string]> {
  const retry = j.retryPolicy
    ? `${enumLabel(RetryStrategySchema, j.retryPolicy.strategy)}, ${j.retryPolicy.maxRetries ?? 3} retries`
    : "NONE";
  return [
    ["id", j.id],
    ["name", j.name],
    ["status", enumLabel(JobStatusSchema, j.status)],
    ["version", String(j.version)],
    ["owner", j.owner],
    ["tags", j.tags.join(", ") || "-"],
    ["schedule", scheduleText(j.schedule)],
    ...(j.schedule?.flexibleWindow
      ? [["flexible window", durationText(j.schedule.flexibleWindow)] as [string, string]]
      : []),
    ["target", targetText(j.target)],
    ["priority", enumLabel(PrioritySchema, j.priority)],
    ["retry", retry],
    ["next run", whenText(j.nextRunTime, nowMs)],
    ["last run", whenText(j.lastRunTime, nowMs)],
    ["missed runs", String(j.missedRuns)],
    ["failed in a row", failuresText(j)],
    ["remaining runs", remainingText(j)],
    ["partition", String(j.partition)],
    ["created", whenText(j.createTime, nowMs)],
    ["updated", whenText(j.updateTime, nowMs)],
    ...(j.workflowId ? [["workflow", j.workflowId] as [string, string]] : []),
    ...(j.pause ? [["paused", pauseText(j.pause, nowMs)] as [string, string]] : []),
  ];
}

/** `2 (pauses at 3)`, or `0 (no pause)` when the job has no `pause_after_failures`. */
function failuresText(j: Job): string {
  const policy = j.pauseAfterFailures ? `pauses at ${j.pauseAfterFailures}` : "no pause";
  return `${j.consecutiveFailures} (${policy})`;
}

/** `7 of 10`, or `unlimited`. */
function remainingText(j: Job): string {
  if (j.remainingRuns === undefined) return "unlimited";
  return `${j.remainingRuns} of ${j.grantedRuns || j.remainingRuns}`;
}

/** When, by whom and why a job was paused. */
function pauseText(p: JobPause, nowMs: number): string {
  const who = p.pausedBy ? ` by ${p.pausedBy}` : "";
  return `${whenText(p.pauseTime, nowMs)}${who}${p.note ? `: ${p.note}` : ""}`;
}

/** How long a run took, or has been running. */
function tookText(e: Execution, nowMs: number): string {
  if (e.startTime === undefined) return "-";
  const end = e.endTime ? timestampMs(e.endTime) : nowMs;
  const ms = end - timestampMs(e.startTime);
  return ms < 1000 ? `${ms}ms` : spanText(ms);
}

export function executionColumns(nowMs: number): Column<Execution>[] {
  return [
    { header: "ID", value: (e) => e.id },
    { header: "STATUS", value: (e) => enumLabel(ExecutionStatusSchema, e.status) },
    { header: "SCHEDULED (UTC)", value: (e) => whenText(e.scheduledTime, nowMs), flex: true },
    { header: "TOOK", value: (e) => tookText(e, nowMs), optional: true },
    { header: "WORKER", value: (e) => e.workerId || "-", optional: true },
    {
      header: "ERROR",
      value: (e) => (e.error ? e.error.split("\n")[0]! : "-"),
      optional: true,
      flex: true,
    },
  ];
}

/** One execution, field by field. */
export function executionFields(e: Execution, nowMs: number): Array<[string, string]> {
  return [
    ["id", e.id],
    ["job", e.jobId],
    ["status", enumLabel(ExecutionStatusSchema, e.status)],
    ["attempt", String(e.attempt)],
    ["manual", e.manual ? "yes (TriggerJob)" : "no"],
    ["scheduled", whenText(e.scheduledTime, nowMs)],
    ["queued", whenText(e.queueTime, nowMs)],
    ["started", whenText(e.startTime, nowMs)],
    ["ended", whenText(e.endTime, nowMs)],
    ["took", tookText(e, nowMs)],
    ["worker", e.workerId || "-"],
    ["result", e.result || "-"],
    ["error", e.error || "-"],
    ...(e.nextAttemptTime
      ? [["next attempt", whenText(e.nextAttemptTime, nowMs)] as [string, string]]
      : []),
    ...(e.wait ? [["waited", waitText(e.wait)] as [string, string]] : []),
  ];
}

/** Why a held run waited: `tenant concurrency, 1.2s (sent back 2 times)`. */
export function waitText(wait: NonNullable<Execution["wait"]>): string {
  const ms = wait.waited ? durationMs(wait.waited) : 0;
  const reason = enumLabel(WaitReasonSchema, wait.reason).toLowerCase().replaceAll("_", " ");
  const took = ms < 1000 ? `${ms}ms` : spanText(ms);
  return `${reason}, ${took}${wait.resends ? ` (sent back ${wait.resends} times)` : ""}`;
}
