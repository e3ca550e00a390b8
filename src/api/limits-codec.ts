/** JobLimits (concurrency, overlap, rate) ↔ proto, beside `codec.ts`. */

import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  type JobLimits as JobLimitsPb,
  JobLimitsSchema,
  OverlapPolicy as OverlapPolicyPb,
} from "../../gen/chronoring/v1/limits_pb.js";
import { invalidArgument } from "../core/errors.js";
import type { JobLimits, OverlapPolicy } from "../core/job.js";
import { msFromDuration } from "./duration.js";
import { invert } from "./enum-map.js";

const OVERLAP_TO_PROTO: Record<OverlapPolicy, OverlapPolicyPb> = {
  ALLOW: OverlapPolicyPb.ALLOW,
  SKIP: OverlapPolicyPb.SKIP,
  BUFFER_ONE: OverlapPolicyPb.BUFFER_ONE,
  CANCEL_PREVIOUS: OverlapPolicyPb.CANCEL_PREVIOUS,
};
const OVERLAP_FROM_PROTO = invert(OVERLAP_TO_PROTO);

/** JobLimits from the wire; the rules (ranges) are checked by `validateLimits`. */
export function limitsFromProto(l: JobLimitsPb, field = "limits"): JobLimits {
  const overlap =
    l.overlap === OverlapPolicyPb.UNSPECIFIED ? "ALLOW" : OVERLAP_FROM_PROTO.get(l.overlap);
  if (overlap === undefined)
    throw invalidArgument(`${field}.overlap`, `unknown value ${l.overlap}`);
  const limits: JobLimits = { overlap };
  if (l.maxConcurrent) limits.maxConcurrent = l.maxConcurrent;
  if (l.rateLimit) {
    const window = l.rateLimit.window;
    if (!window) throw invalidArgument(`${field}.rate_limit.window`, "required");
    limits.rateLimit = {
      maxRuns: l.rateLimit.maxRuns,
      windowMs: msFromDuration(window, `${field}.rate_limit.window`),
    };
  }
  return limits;
}

export function limitsToProto(l: JobLimits | undefined): JobLimitsPb | undefined {
  if (!l) return undefined;
  return create(JobLimitsSchema, {
    maxConcurrent: l.maxConcurrent ?? 0,
    overlap: OVERLAP_TO_PROTO[l.overlap],
    ...(l.rateLimit
      ? {
          rateLimit: { maxRuns: l.rateLimit.maxRuns, window: durationFromMs(l.rateLimit.windowMs) },
        }
      : {}),
  });
}
