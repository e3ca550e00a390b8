/**
 * Proto ↔ domain conversion of retry policies (kept beside codec.ts, which
 * calls it for Job and CreateJobRequest).
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  Backoff as BackoffPb,
  type RetryPolicy as RetryPolicyPb,
  RetryPolicySchema,
  RetryStrategy as RetryStrategyPb,
} from "../../gen/chronoring/v1/retry_pb.js";
import { invalidArgument } from "../core/errors.js";
import {
  type Backoff,
  type RetryPolicy,
  type RetryPolicyInput,
  type RetryStrategy,
  retryPolicyFromInput,
} from "../core/retry-policy.js";
import { msFromDuration } from "./duration.js";

const STRATEGY_FROM_PROTO = new Map<number, RetryStrategy>([
  [RetryStrategyPb.UNSPECIFIED, "NONE"],
  [RetryStrategyPb.NONE, "NONE"],
  [RetryStrategyPb.ON_FAILURE, "ON_FAILURE"],
  [RetryStrategyPb.ALWAYS, "ALWAYS"],
]);
const STRATEGY_TO_PROTO: Record<RetryStrategy, RetryStrategyPb> = {
  NONE: RetryStrategyPb.NONE,
  ON_FAILURE: RetryStrategyPb.ON_FAILURE,
  ALWAYS: RetryStrategyPb.ALWAYS,
};
const BACKOFF_FROM_PROTO = new Map<number, Backoff>([
  [BackoffPb.UNSPECIFIED, "FIXED"],
  [BackoffPb.FIXED, "FIXED"],
  [BackoffPb.EXPONENTIAL, "EXPONENTIAL"],
]);
const BACKOFF_TO_PROTO: Record<Backoff, BackoffPb> = {
  FIXED: BackoffPb.FIXED,
  EXPONENTIAL: BackoffPb.EXPONENTIAL,
};

/**
 * A policy from the wire with its defaults filled and validated; undefined
 * when absent. Errors name `<field>.<sub-field>`.
 */
export function retryPolicyFromProto(
  p: RetryPolicyPb | undefined,
  field = "retry_policy",
): RetryPolicy | undefined {
  if (p === undefined) return undefined;
  const strategy = STRATEGY_FROM_PROTO.get(p.strategy);
  if (strategy === undefined) {
    throw invalidArgument(`${field}.strategy`, `unknown retry strategy ${p.strategy}`);
  }
  const backoff = BACKOFF_FROM_PROTO.get(p.backoff);
  if (backoff === undefined)
    throw invalidArgument(`${field}.backoff`, `unknown backoff ${p.backoff}`);
  const input: RetryPolicyInput = { strategy, backoff, jitter: p.jitter };
  if (p.maxRetries !== undefined) input.maxRetries = p.maxRetries;
  if (p.retryDelay) input.retryDelayMs = msFromDuration(p.retryDelay, `${field}.retry_delay`);
  if (p.maxDelay) input.maxDelayMs = msFromDuration(p.maxDelay, `${field}.max_delay`);
  return retryPolicyFromInput(input, field);
}

export function retryPolicyToProto(p: RetryPolicy): RetryPolicyPb {
  return create(RetryPolicySchema, {
    strategy: STRATEGY_TO_PROTO[p.strategy],
    maxRetries: p.maxRetries,
    backoff: BACKOFF_TO_PROTO[p.backoff],
    retryDelay: durationFromMs(p.retryDelayMs),
    maxDelay: durationFromMs(p.maxDelayMs),
    jitter: p.jitter,
  });
}
