import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  FireStatsMinuteSchema,
  type GetFireStatsResponse,
  GetFireStatsResponseSchema,
} from "../../gen/chronoring/v1/job_service_pb.js";
import {
  type FireCounts,
  type FireStatsWindow,
  LATENESS_BOUNDS_MS,
  latenessQuantileMs,
} from "../core/fire-stats.js";

function latenessOf(counts: FireCounts) {
  return {
    latenessP50Ms: latenessQuantileMs(counts.buckets, 0.5),
    latenessP99Ms: latenessQuantileMs(counts.buckets, 0.99),
  };
}

/** GetFireStatsResponse from a window of minutes. */
export function fireStatsToProto(window: FireStatsWindow): GetFireStatsResponse {
  return create(GetFireStatsResponseSchema, {
    minutes: window.minutes.map(({ startMs, counts }) =>
      create(FireStatsMinuteSchema, {
        startTime: timestampFromMs(startMs),
        fires: BigInt(counts.fires),
        retries: BigInt(counts.retries),
        latenessSumMs: BigInt(counts.latenessSumMs),
        latenessBuckets: counts.buckets.map((n) => BigInt(n)),
        ...latenessOf(counts),
      }),
    ),
    latenessBoundsMs: [...LATENESS_BOUNDS_MS],
    fires: BigInt(window.total.fires),
    retries: BigInt(window.total.retries),
    ...latenessOf(window.total),
  });
}
