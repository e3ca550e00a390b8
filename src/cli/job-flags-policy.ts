/**
 * The policy flags of `jobs create` / `jobs update`: the retry policy
 * (`--retry --max-retries --retry-delay --backoff --max-delay`, each
 * changing its part and keeping the rest), the failure policy
 * (`--pause-after-failures N`, 0 turns it off) and the run limit
 * (`--remaining-runs K`, or `unlimited` to remove it).
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError, Option } from "commander";
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
  pauseAfterFailures?: number;
  /** `unlimited`: the limit removed. */
  remainingRuns?: number | "unlimited";
}

/** Beyond what the server takes, so that its InvalidArgument names the field. */
const COUNT_MAX = 4_294_967_295;

/**
 * `--remaining-runs`: a whole number (the server checks 1 to 1,000,000), or
 * `unlimited` (not null: commander keeps no null a parser returns).
 */
function remainingRuns(text: string): number | "unlimited" {
  if (text.trim().toLowerCase() === "unlimited") return "unlimited";
  try {
    return intIn(0, COUNT_MAX)(text);
  } catch {
    throw new InvalidArgumentError("a whole number of runs, or unlimited");
  }
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
    new Option(
      "--pause-after-failures <n>",
      "pause the job after this many failed runs in a row (0: never)",
    ).argParser(intIn(0, COUNT_MAX)),
    new Option(
      "--remaining-runs <k>",
      "fire K more scheduled runs, then FINISHED (unlimited: no limit)",
    ).argParser(remainingRuns),
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
  if (f.pauseAfterFailures !== undefined) {
    job.pauseAfterFailures = f.pauseAfterFailures;
    paths.push("pause_after_failures");
  }
  if (f.remainingRuns !== undefined) {
    job.remainingRuns = f.remainingRuns === "unlimited" ? undefined : f.remainingRuns;
    paths.push("remaining_runs");
  }
  return paths;
}
