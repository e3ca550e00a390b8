/**
 * How backfills read in the CLI: the table of a job's backfills, one
 * backfill's fields, a dry run's runs, and the one-line progress of
 * `--watch` without a terminal.
 */

import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type Backfill,
  BackfillModeSchema,
  BackfillOrderSchema,
  type BackfillRun,
  BackfillStateSchema,
} from "../../gen/chronoring/v1/backfill_service_pb.js";
import { ExecutionStatusSchema } from "../../gen/chronoring/v1/execution_pb.js";
import { FireOutcomeSchema } from "../../gen/chronoring/v1/fire_pb.js";
import { enumLabel } from "./flag-values.js";
import type { Column } from "./output.js";
import { utcText, whenText } from "./time-text.js";

/** `12/40 done (9 ok, 3 failed), 2 out, 26 to send`. */
export function progressText(b: Backfill): string {
  const c = b.counts;
  if (!c) return "-";
  const ended = c.succeeded + c.failed;
  const parts = [`${ended + c.skipped}/${c.selected} done (${c.succeeded} ok, ${c.failed} failed`];
  if (c.skipped) parts[0] += `, ${c.skipped} skipped`;
  parts[0] += ")";
  if (c.inFlight) parts.push(`${c.inFlight} out`);
  if (c.remaining) parts.push(`${c.remaining} to send`);
  return parts.join(", ");
}

const rangeText = (b: Backfill) =>
  b.from && b.to ? `${utcText(timestampMs(b.from))} – ${utcText(timestampMs(b.to))}` : "-";

export function backfillColumns(nowMs: number): Column<Backfill>[] {
  return [
    { header: "ID", value: (b) => b.id },
    { header: "STATE", value: (b) => enumLabel(BackfillStateSchema, b.state) },
    { header: "MODE", value: (b) => enumLabel(BackfillModeSchema, b.mode) },
    { header: "RANGE (UTC)", value: rangeText, optional: true },
    { header: "PROGRESS", value: progressText, flex: true },
    { header: "CREATED", value: (b) => whenText(b.createTime, nowMs), optional: true },
  ];
}

export function backfillFields(b: Backfill, nowMs: number): Array<[string, string]> {
  const pairs: Array<[string, string]> = [
    ["id", b.id],
    ["job", b.jobId],
    ["state", enumLabel(BackfillStateSchema, b.state)],
    ["mode", enumLabel(BackfillModeSchema, b.mode)],
    ["order", enumLabel(BackfillOrderSchema, b.order)],
    ["range", `${rangeText(b)} UTC (${b.nominalTimes} nominal times)`],
    ["max concurrent", String(b.maxConcurrent)],
    ["progress", progressText(b)],
    ["sent", String(b.counts?.sent ?? 0)],
    ["started", String(b.counts?.started ?? 0)],
    ["created", `${whenText(b.createTime, nowMs)} by ${b.createdBy || "-"}`],
  ];
  if (b.endTime) pairs.push(["ended", whenText(b.endTime, nowMs)]);
  if (b.cancelledBy) pairs.push(["cancelled by", b.cancelledBy]);
  if (b.error) pairs.push(["error", b.error]);
  return pairs;
}

export const backfillRunColumns: Column<BackfillRun>[] = [
  {
    header: "NOMINAL (UTC)",
    value: (r) => (r.nominalTime ? utcText(timestampMs(r.nominalTime)) : "-"),
  },
  { header: "EXECUTION", value: (r) => r.executionId },
  { header: "OUTCOME NOW", value: (r) => enumLabel(FireOutcomeSchema, r.outcome) },
  {
    header: "LAST STATUS",
    value: (r) => enumLabel(ExecutionStatusSchema, r.lastStatus),
    optional: true,
  },
];
