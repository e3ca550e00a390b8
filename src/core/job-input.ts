/**
 * A job as the API hands it over (new, or a change), and the checks it passes
 * before the store is touched. Pure; every failure is an invalid_argument
 * naming the field, or failed_precondition for what this server cannot do.
 */

import { failedPrecondition } from "./errors.js";
import { validateExternalKey } from "./external-key.js";
import { validatePauseAfterFailures } from "./failure-policy.js";
import { validateIdempotencyKey } from "./idempotency.js";
import type { JobLimits, JobTarget } from "./job.js";
import { validateLimits } from "./limits.js";
import { type NotificationTarget, usesEmail } from "./notification.js";
import type { Priority } from "./priority.js";
import { type RetryPolicy, validateRetryPolicy } from "./retry-policy.js";
import { validateRemainingRuns } from "./run-budget.js";
import type { ScheduleInput } from "./schedule/index.js";
import type { TargetAllow } from "./target-address.js";
import {
  validateJobInput,
  validateName,
  validateOwner,
  validateTags,
  validateTarget,
} from "./validate-job.js";
import { validateNotificationAddresses, validateTargetAddress } from "./validate-target-address.js";
import { validateNotifications } from "./validate-webhook.js";

/** A new job as the API hands it over, already converted from proto but not yet validated. */
export interface JobInput {
  name: string;
  schedule: ScheduleInput;
  target: JobTarget;
  tags: string[];
  owner: string;
  limits?: JobLimits;
  /** Defaults filled (see retryPolicyFromInput); absent: no retry. */
  retryPolicy?: RetryPolicy;
  /** Absent: MEDIUM. */
  priority?: Priority;
  notifications?: NotificationTarget[];
  /** See `idempotency.ts`: same key + same request → the same job. */
  idempotencyKey?: string;
  /** Unique among the tenant's live jobs; see `external-key.ts`. */
  externalKey?: string;
  /** 0 or absent: never pause (`failure-policy.ts`). */
  pauseAfterFailures?: number;
  /** Absent: no limit (`run-budget.ts`). */
  remainingRuns?: number;
}

/** Fields UpdateJob may change; absent ones stay. */
export interface JobUpdate {
  name?: string;
  schedule?: ScheduleInput;
  target?: JobTarget;
  tags?: string[];
  owner?: string;
  /** `null` removes the limits. */
  limits?: JobLimits | null;
  /** `null` removes the policy. */
  retryPolicy?: RetryPolicy | null;
  priority?: Priority;
  /** Replaces all targets; empty removes them. */
  notifications?: NotificationTarget[];
  /** 0 turns the policy off. */
  pauseAfterFailures?: number;
  /** A new number of runs left (and granted); `null` removes the limit. */
  remainingRuns?: number | null;
}

/** What this server can do, as far as a job's input depends on it. */
export interface InputChecks {
  /** An SMTP relay is configured: without one, email notification targets are refused. */
  emailEnabled: boolean;
  /** Internal addresses that targets may reach (CHRONORING_TARGET_ALLOW). */
  targetAllow: TargetAllow;
}

/** Checks a new job, except its schedule (parsed where the job is built). */
export function checkJobInput(input: JobInput, checks: InputChecks): void {
  validateJobInput(input);
  validateTargetAddress(input.target, "target", checks.targetAllow);
  if (input.limits) validateLimits(input.limits);
  if (input.retryPolicy) validateRetryPolicy(input.retryPolicy);
  if (input.idempotencyKey !== undefined) validateIdempotencyKey(input.idempotencyKey);
  if (input.externalKey !== undefined) validateExternalKey(input.externalKey);
  checkNotifications(input.notifications, "notifications", checks);
  if (input.pauseAfterFailures !== undefined) validatePauseAfterFailures(input.pauseAfterFailures);
  if (input.remainingRuns !== undefined) validateRemainingRuns(input.remainingRuns);
}

/** Checks the fields an UpdateJob changes, except the schedule. */
export function checkJobUpdate(update: JobUpdate, checks: InputChecks): void {
  if (update.name !== undefined) validateName(update.name);
  if (update.owner !== undefined) validateOwner(update.owner);
  if (update.tags !== undefined) validateTags(update.tags);
  if (update.target !== undefined) {
    validateTarget(update.target);
    validateTargetAddress(update.target, "target", checks.targetAllow);
  }
  if (update.limits) validateLimits(update.limits);
  if (update.retryPolicy) validateRetryPolicy(update.retryPolicy);
  checkNotifications(update.notifications, "notifications", checks);
  if (update.pauseAfterFailures !== undefined) {
    validatePauseAfterFailures(update.pauseAfterFailures);
  }
  if (update.remainingRuns != null) validateRemainingRuns(update.remainingRuns);
}

/** Validates notification targets and that this server can send what they ask for. */
function checkNotifications(
  targets: NotificationTarget[] | undefined,
  field: string,
  checks: InputChecks,
): void {
  if (targets === undefined) return;
  validateNotifications(targets, field);
  validateNotificationAddresses(targets, field, checks.targetAllow);
  if (usesEmail(targets) && !checks.emailEnabled) {
    throw failedPrecondition(
      `${field}: email targets need an SMTP relay; this server has none (CHRONORING_SMTP_URL)`,
    );
  }
}
