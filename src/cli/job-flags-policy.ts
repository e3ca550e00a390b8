/**
 * The policy flags of `jobs create` / `jobs update`: the retry policy
 * (`--retry --max-retries --retry-delay --backoff --max-delay`, each
 * changing its part and keeping the rest).
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Option } from "commander";
import type { Job } from "../../gen/chronoring/v1/job_pb.js";
import {
  BackoffSchema,
  RetryPolicySchema,
  RetryStrategySchema,
} from "../../gen/chronoring/v1/retry_pb.js";
import { enumChoices, enumValue, intIn, parseDurationMs } from "./flag-values.js";

export interface PolicyFlags {
  retry?: number;
  maxRetries?: number;
  retryDelay?: number;
  backoff?: number;
  maxDelay?: number;
}

const choices = (desc: Parameters<typeof enumChoices>[0]) => enumChoices(desc).join("|");

export function policyOptions(): Option[] {
  return [
    new Option("--retry <strategy>", choices(RetryStrategySchema)).argParser(
      enumValue(RetryStrategySchema),
    ),
    new Option("--max-retries <n>", "retries after the first attempt").argParser(intIn(0, 100)),
    new Option("--retry-delay <duration>", "delay before a retry").argParser(parseDurationMs),
    new Option("--backoff <kind>", choices(BackoffSchema)).argParser(enumValue(BackoffSchema)),
    new Option("--max-delay <duration>", "cap of an exponential delay").argParser(parseDurationMs),
  ];
}

function applyRetry(job: Job, f: PolicyFlags): boolean {
  const keys: Array<keyof PolicyFlags> = [
    "retry",
    "maxRetries",
    "retryDelay",
    "backoff",
    "maxDelay",
  ];
  if (keys.every((k) => f[k] === undefined)) return false;
  const p = job.retryPolicy ?? create(RetryPolicySchema);
  if (f.retry !== undefined) p.strategy = f.retry;
  if (f.maxRetries !== undefined) p.maxRetries = f.maxRetries;
  if (f.retryDelay !== undefined) p.retryDelay = durationFromMs(f.retryDelay);
  if (f.backoff !== undefined) p.backoff = f.backoff;
  if (f.maxDelay !== undefined) p.maxDelay = durationFromMs(f.maxDelay);
  job.retryPolicy = p;
  return true;
}

/** Applies the policy flags onto `job` in place; returns the `update_mask` paths changed. */
export function applyPolicyFlags(job: Job, f: PolicyFlags): string[] {
  const paths: string[] = [];
  if (applyRetry(job, f)) paths.push("retry_policy");
  return paths;
}
