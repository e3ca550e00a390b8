/**
 * Notification targets of a job: who is told about a run's outcome. The
 * sending lives in `src/notify/`; this is the domain shape only.
 */

/**
 * Events a target can subscribe to. `dead`: a run that exhausted its
 * retries; `paused`: the job was paused by its `pause_after_failures`;
 * `recovered`: the first success after failed runs (`failure-policy.ts`).
 */
export type NotifyEvent = "succeeded" | "failed" | "dead" | "paused" | "recovered";

export const NOTIFY_EVENTS: readonly NotifyEvent[] = [
  "succeeded",
  "failed",
  "dead",
  "paused",
  "recovered",
];

export interface WebhookNotification {
  kind: "webhook";
  events: NotifyEvent[];
  url: string;
  /** HMAC-SHA256 signing key; write-only (the API shows `has_secret`). */
  secret?: string;
  headers: Record<string, string>;
}

export interface EmailNotification {
  kind: "email";
  events: NotifyEvent[];
  to: string[];
  subjectPrefix: string;
}

export type NotificationTarget = WebhookNotification | EmailNotification;

/** True when some target of `targets` uses email (needs an SMTP relay). */
export function usesEmail(targets: readonly NotificationTarget[] | undefined): boolean {
  return (targets ?? []).some((t) => t.kind === "email");
}
