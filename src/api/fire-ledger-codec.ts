/** ListFires: the ledger page of core (`core/fire-ledger/`) as its proto response. */

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Fire,
  FireOutcome as FireOutcomePb,
  FireSchema,
} from "../../gen/chronoring/v1/fire_pb.js";
import {
  type ListFiresRequest,
  type ListFiresResponse,
  ListFiresResponseSchema,
} from "../../gen/chronoring/v1/job_service_pb.js";
import {
  FIRE_OUTCOMES,
  type FireOutcome,
  type LedgerFire,
  type LedgerPage,
  type LedgerQuery,
} from "../core/fire-ledger/index.js";
import { executionStatusToProto, msFromTimestamp } from "./codec.js";
import { pauseToProto } from "./pause-codec.js";
import { misfireToProto } from "./policy-codec.js";
import { waitToProto } from "./wait-codec.js";

const OUTCOME_TO_PROTO: Record<FireOutcome, FireOutcomePb> = {
  STARTED: FireOutcomePb.STARTED,
  HELD: FireOutcomePb.HELD,
  SKIPPED_OVERLAP: FireOutcomePb.SKIPPED_OVERLAP,
  SKIPPED_CALENDAR: FireOutcomePb.SKIPPED_CALENDAR,
  SKIPPED_PAUSED: FireOutcomePb.SKIPPED_PAUSED,
  MISSED: FireOutcomePb.MISSED,
  MERGED: FireOutcomePb.MERGED,
  DST_SHIFTED: FireOutcomePb.DST_SHIFTED,
  DST_FOLDED: FireOutcomePb.DST_FOLDED,
  DST_SKIPPED: FireOutcomePb.DST_SKIPPED,
  PENDING: FireOutcomePb.PENDING,
  FINISHED: FireOutcomePb.FINISHED,
};

export function ledgerQueryFromProto(req: ListFiresRequest): LedgerQuery {
  return {
    jobId: req.jobId,
    ...(req.from ? { fromMs: msFromTimestamp(req.from, "from") } : {}),
    ...(req.to ? { toMs: msFromTimestamp(req.to, "to") } : {}),
    pageSize: req.pageSize,
    ...(req.pageToken ? { pageToken: req.pageToken } : {}),
  };
}

function fireToProto(f: LedgerFire): Fire {
  return create(FireSchema, {
    nominalTime: timestampFromMs(f.nominalMs),
    localTime: f.local,
    outcome: OUTCOME_TO_PROTO[f.outcome],
    ...(f.fireMs !== undefined ? { fireTime: timestampFromMs(f.fireMs) } : {}),
    executionId: f.executionId ?? "",
    ...(f.executionStatus ? { executionStatus: executionStatusToProto(f.executionStatus) } : {}),
    ...(f.wait ? { wait: waitToProto(f.wait) } : {}),
    ...(f.pause ? { pause: pauseToProto(f.pause) } : {}),
    ...(f.misfire ? { misfire: misfireToProto(f.misfire) } : {}),
    notes: f.notes,
    attempts: f.attempts ?? 0,
  });
}

export function ledgerPageToProto(page: LedgerPage): ListFiresResponse {
  return create(ListFiresResponseSchema, {
    fires: page.fires.map(fireToProto),
    nextPageToken: page.nextFromMs === undefined ? "" : String(page.nextFromMs),
    counts: FIRE_OUTCOMES.filter((o) => page.counts[o]).map((o) => ({
      outcome: OUTCOME_TO_PROTO[o],
      count: BigInt(page.counts[o]!),
    })),
    timeZone: page.timeZone,
  });
}
