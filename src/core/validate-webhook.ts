/**
 * Validation of the webhook job type and of notification targets. Pure; every
 * failure is an invalid_argument naming the proto field path. Kept apart from
 * validate-job.ts (which calls `validateWebhookTarget`) and self-contained, so
 * that neither imports the other's helpers in a cycle.
 */

import { invalidArgument } from "./errors.js";
import type { WebhookTarget } from "./job.js";
import { NOTIFY_EVENTS, type NotificationTarget } from "./notification.js";

export const SECRET_MIN = 16;
export const SECRET_MAX = 256;
export const WEBHOOK_PAYLOAD_MAX_BYTES = 64 * 1024;
export const WEBHOOK_TIMEOUT_MAX_MS = 15 * 60_000;
export const WEBHOOK_HEADERS_MAX = 50;
export const NOTIFICATION_TARGETS_MAX = 10;
export const EMAIL_RECIPIENTS_MAX = 20;
export const SUBJECT_PREFIX_MAX = 100;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Deliberately simple: one @, no spaces or angle brackets; the relay has the last word. */
const EMAIL = /^[^\s@<>,;"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;

export function validateHttpUrl(url: string, field: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidArgument(field, "must be an absolute http:// or https:// URL");
  }
  if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.hostname === "") {
    throw invalidArgument(field, "must be an absolute http:// or https:// URL");
  }
}

export function validateHeaders(headers: Record<string, string>, field: string): void {
  const entries = Object.entries(headers);
  if (entries.length > WEBHOOK_HEADERS_MAX) {
    throw invalidArgument(field, `at most ${WEBHOOK_HEADERS_MAX} headers`);
  }
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name)) {
      throw invalidArgument(field, `invalid header name "${name.slice(0, 64)}"`);
    }
    if (/[\r\n\0]/.test(value)) {
      throw invalidArgument(field, `value of "${name}" contains CR, LF or NUL`);
    }
  }
}

export function validateSecret(secret: string | undefined, field: string): void {
  if (secret === undefined || secret === "") return;
  if (secret.length < SECRET_MIN || secret.length > SECRET_MAX) {
    throw invalidArgument(field, `${SECRET_MIN} to ${SECRET_MAX} characters`);
  }
  if (/[\r\n\0]/.test(secret)) throw invalidArgument(field, "contains CR, LF or NUL");
}

export function validateWebhookTarget(t: WebhookTarget, field: string): void {
  validateHttpUrl(t.url, `${field}.url`);
  validateHeaders(t.headers, `${field}.headers`);
  validateSecret(t.secret, `${field}.secret`);
  if (!Number.isFinite(t.timeoutMs) || t.timeoutMs <= 0) {
    throw invalidArgument(`${field}.timeout`, "must be positive");
  }
  if (t.timeoutMs > WEBHOOK_TIMEOUT_MAX_MS) {
    throw invalidArgument(`${field}.timeout`, `at most ${WEBHOOK_TIMEOUT_MAX_MS / 1000} s`);
  }
  if (t.payload !== undefined && t.payload !== "") {
    const bytes = Buffer.byteLength(t.payload);
    if (bytes > WEBHOOK_PAYLOAD_MAX_BYTES) {
      throw invalidArgument(
        `${field}.payload`,
        `at most ${WEBHOOK_PAYLOAD_MAX_BYTES} bytes (got ${bytes})`,
      );
    }
    try {
      JSON.parse(t.payload);
    } catch {
      throw invalidArgument(`${field}.payload`, "must be JSON text");
    }
  }
}

/** Validates a job's notification targets (`notifications.targets[i]...`). */
export function validateNotifications(
  targets: readonly NotificationTarget[],
  field = "notifications",
): void {
  if (targets.length > NOTIFICATION_TARGETS_MAX) {
    throw invalidArgument(`${field}.targets`, `at most ${NOTIFICATION_TARGETS_MAX} targets`);
  }
  targets.forEach((t, i) => {
    const at = `${field}.targets[${i}]`;
    if (t.events.length === 0) throw invalidArgument(`${at}.events`, "at least one event");
    const seen = new Set<string>();
    for (const event of t.events) {
      if (!NOTIFY_EVENTS.includes(event)) {
        throw invalidArgument(`${at}.events`, `unknown event "${event}"`);
      }
      if (seen.has(event)) throw invalidArgument(`${at}.events`, `duplicate event ${event}`);
      seen.add(event);
    }
    // The type says one is set, but the value may come from anywhere at run time.
    const kind = (t as { kind?: string }).kind;
    if (kind === "webhook" && t.kind === "webhook") {
      validateHttpUrl(t.url, `${at}.webhook.url`);
      validateHeaders(t.headers, `${at}.webhook.headers`);
      validateSecret(t.secret, `${at}.webhook.secret`);
    } else if (kind === "email" && t.kind === "email") {
      if (t.to.length === 0 || t.to.length > EMAIL_RECIPIENTS_MAX) {
        throw invalidArgument(`${at}.email.to`, `1 to ${EMAIL_RECIPIENTS_MAX} addresses`);
      }
      t.to.forEach((address, k) => {
        if (!EMAIL.test(address)) {
          throw invalidArgument(`${at}.email.to[${k}]`, "not an email address");
        }
      });
      if (t.subjectPrefix.length > SUBJECT_PREFIX_MAX || /[\r\n\0]/.test(t.subjectPrefix)) {
        throw invalidArgument(
          `${at}.email.subject_prefix`,
          `at most ${SUBJECT_PREFIX_MAX} characters, no line breaks`,
        );
      }
    } else {
      throw invalidArgument(at, "required: exactly one of webhook, email");
    }
  });
}
