/**
 * A job's failure policy and run limit (`pause_after_failures`,
 * `remaining_runs`, and the output-only `consecutive_failures` and
 * `granted_runs`) ↔ proto, beside `codec.ts`. The ranges are checked in
 * core (`failure-policy.ts`, `run-budget.ts`), naming the field.
 */

import type { Job as JobPb } from "../../gen/chronoring/v1/job_pb.js";
import type { Job } from "../core/job.js";
import type { JobInput, JobUpdate } from "../core/job-input.js";

type PolicyFields = Pick<
  JobPb,
  "pauseAfterFailures" | "remainingRuns" | "consecutiveFailures" | "grantedRuns"
>;

/** The fields as the API shows them: 0 for none, `remaining_runs` unset for no limit. */
export function failurePolicyToProto(job: Job): PolicyFields {
  return {
    pauseAfterFailures: job.pauseAfterFailures ?? 0,
    remainingRuns: job.remainingRuns,
    consecutiveFailures: job.consecutiveFailures ?? 0,
    grantedRuns: job.grantedRuns ?? 0,
  };
}

/** A CreateJobRequest's (or a Job's) policy fields; 0 `pause_after_failures` is none. */
export function failurePolicyFromProto(
  req: Pick<JobPb, "pauseAfterFailures" | "remainingRuns">,
): Pick<JobInput, "pauseAfterFailures" | "remainingRuns"> {
  return {
    ...(req.pauseAfterFailures !== 0 ? { pauseAfterFailures: req.pauseAfterFailures } : {}),
    ...(req.remainingRuns !== undefined ? { remainingRuns: req.remainingRuns } : {}),
  };
}

/** UpdateJob's value of a policy path: `remaining_runs` unset removes the limit. */
export function failurePolicyUpdate(
  job: Pick<JobPb, "pauseAfterFailures" | "remainingRuns">,
  path: "pause_after_failures" | "remaining_runs",
): JobUpdate {
  return path === "pause_after_failures"
    ? { pauseAfterFailures: job.pauseAfterFailures }
    : { remainingRuns: job.remainingRuns ?? null };
}
