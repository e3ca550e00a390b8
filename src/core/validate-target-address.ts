/**
 * The create/update half of the SSRF protection: a job's `http` or `webhook`
 * URL, or a notification webhook's, whose host is a literal address that
 * targets may not reach is refused with an invalid_argument naming the field.
 * Host names pass here; the worker judges what they resolve to when it
 * connects (see target-address.ts and docs/security.md).
 */

import { invalidArgument } from "./errors.js";
import type { JobTarget } from "./job.js";
import type { NotificationTarget } from "./notification.js";
import { checkUrlHost, type TargetAllow } from "./target-address.js";

function checkUrl(url: string, field: string, allow: TargetAllow): void {
  const verdict = checkUrlHost(url, allow);
  if (!verdict.allowed) {
    throw invalidArgument(field, `points at ${verdict.reason}, which targets may not reach`);
  }
}

/** Checks the URL of an `http` or `webhook` target (`target.http.url`, `target.webhook.url`). */
export function validateTargetAddress(target: JobTarget, field: string, allow: TargetAllow): void {
  if (target.type === "http") checkUrl(target.url, `${field}.http.url`, allow);
  else if (target.type === "webhook") checkUrl(target.url, `${field}.webhook.url`, allow);
}

/** Checks every webhook's URL (`notifications.targets[i].webhook.url`). */
export function validateNotificationAddresses(
  targets: readonly NotificationTarget[],
  field: string,
  allow: TargetAllow,
): void {
  targets.forEach((t, i) => {
    if (t.kind === "webhook") checkUrl(t.url, `${field}.targets[${i}].webhook.url`, allow);
  });
}
