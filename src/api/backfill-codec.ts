/** BackfillService: proto ↔ core (`core/backfill/`); wire-level checks only, naming the field. */

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type BackfillJobRequest,
  BackfillMode as BackfillModePb,
  BackfillOrder as BackfillOrderPb,
  type Backfill as BackfillPb,
  type BackfillRun,
  BackfillRunSchema,
  BackfillSchema,
  BackfillState as BackfillStatePb,
} from "../../gen/chronoring/v1/backfill_service_pb.js";
import {
  type Backfill,
  type BackfillMode,
  type BackfillOrder,
  type BackfillRequest,
  type BackfillState,
  remainingOf,
  type SelectedRun,
} from "../core/backfill/index.js";
import { invalidArgument } from "../core/errors.js";
import { executionId } from "../core/execution.js";
import { executionStatusToProto, msFromTimestamp } from "./codec.js";
import { fireOutcomeToProto } from "./fire-ledger-codec.js";

const MODE_FROM_PROTO = new Map<BackfillModePb, BackfillMode>([
  [BackfillModePb.MISSING, "MISSING"],
  [BackfillModePb.FAILED, "FAILED"],
  [BackfillModePb.ALL, "ALL"],
]);
const MODE_TO_PROTO: Record<BackfillMode, BackfillModePb> = {
  MISSING: BackfillModePb.MISSING,
  FAILED: BackfillModePb.FAILED,
  ALL: BackfillModePb.ALL,
};
const ORDER_FROM_PROTO = new Map<BackfillOrderPb, BackfillOrder>([
  [BackfillOrderPb.OLDEST_FIRST, "OLDEST_FIRST"],
  [BackfillOrderPb.NEWEST_FIRST, "NEWEST_FIRST"],
]);
const ORDER_TO_PROTO: Record<BackfillOrder, BackfillOrderPb> = {
  OLDEST_FIRST: BackfillOrderPb.OLDEST_FIRST,
  NEWEST_FIRST: BackfillOrderPb.NEWEST_FIRST,
};
const STATE_TO_PROTO: Record<BackfillState, BackfillStatePb> = {
  RUNNING: BackfillStatePb.RUNNING,
  DONE: BackfillStatePb.DONE,
  CANCELLED: BackfillStatePb.CANCELLED,
  FAILED: BackfillStatePb.FAILED,
};

/** BackfillJobRequest → core's request; unset Timestamps and enums stay unset (core says "required"). */
export function backfillRequestFromProto(req: BackfillJobRequest): BackfillRequest {
  const mode = MODE_FROM_PROTO.get(req.mode);
  if (mode === undefined && req.mode !== BackfillModePb.UNSPECIFIED) {
    throw invalidArgument("mode", `unknown backfill mode ${req.mode}`);
  }
  const order = ORDER_FROM_PROTO.get(req.order);
  if (order === undefined && req.order !== BackfillOrderPb.UNSPECIFIED) {
    throw invalidArgument("order", `unknown backfill order ${req.order}`);
  }
  return {
    jobId: req.jobId,
    ...(req.from ? { fromMs: msFromTimestamp(req.from, "from") } : {}),
    ...(req.to ? { toMs: msFromTimestamp(req.to, "to") } : {}),
    ...(mode ? { mode } : {}),
    ...(order ? { order } : {}),
    maxConcurrent: req.maxConcurrent,
    dryRun: req.dryRun,
  };
}

export function backfillToProto(b: Backfill): BackfillPb {
  return create(BackfillSchema, {
    id: b.id,
    jobId: b.jobId,
    mode: MODE_TO_PROTO[b.mode],
    order: ORDER_TO_PROTO[b.order],
    from: timestampFromMs(b.fromMs),
    to: timestampFromMs(b.toMs),
    maxConcurrent: b.maxConcurrent,
    state: STATE_TO_PROTO[b.state],
    counts: {
      ...b.counts,
      remaining: b.state === "RUNNING" ? remainingOf(b) : 0,
      inFlight: b.inFlight.length,
    },
    nominalTimes: b.nominalTotal,
    createTime: timestampFromMs(b.createdMs),
    updateTime: timestampFromMs(b.updatedMs),
    ...(b.endedMs !== undefined ? { endTime: timestampFromMs(b.endedMs) } : {}),
    createdBy: b.createdBy,
    cancelledBy: b.cancelledBy ?? "",
    error: b.error ?? "",
  });
}

export function selectedRunToProto(jobId: string, r: SelectedRun): BackfillRun {
  return create(BackfillRunSchema, {
    nominalTime: timestampFromMs(r.nominalMs),
    fireTime: timestampFromMs(r.fireMs),
    executionId: executionId({ jobId, scheduledMs: r.fireMs, attempt: r.attempt }),
    attempt: r.attempt,
    outcome: fireOutcomeToProto(r.outcome),
    ...(r.lastStatus ? { lastStatus: executionStatusToProto(r.lastStatus) } : {}),
  });
}
