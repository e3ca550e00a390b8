/**
 * Proto ↔ domain conversion of the webhook job type and of notifications, beside
 * `codec.ts` (which calls it for the `webhook` target case). Secrets are
 * write-only: they go into the domain and never come back out; the proto
 * shows `has_secret` instead.
 */

import { create } from "@bufbuild/protobuf";
import {
  type WebhookTarget as WebhookTargetPb,
  WebhookTargetSchema,
} from "../../gen/chronoring/v1/job_pb.js";
import {
  type Notifications as NotificationsPb,
  NotificationsSchema,
  NotifyEvent as NotifyEventPb,
} from "../../gen/chronoring/v1/notification_pb.js";
import { invalidArgument } from "../core/errors.js";
import type { WebhookTarget } from "../core/job.js";
import type { NotificationTarget, NotifyEvent } from "../core/notification.js";
import { invert } from "./enum-map.js";

export const DEFAULT_SUBJECT_PREFIX = "[chronoring]";

const EVENT_TO_PROTO: Record<NotifyEvent, NotifyEventPb> = {
  succeeded: NotifyEventPb.SUCCEEDED,
  failed: NotifyEventPb.FAILED,
  dead: NotifyEventPb.DEAD,
  paused: NotifyEventPb.PAUSED,
  recovered: NotifyEventPb.RECOVERED,
};
const EVENT_FROM_PROTO = invert(EVENT_TO_PROTO);

/** WebhookTarget → domain; `timeoutMs` already converted (default filled) by the caller. */
export function webhookTargetFromProto(w: WebhookTargetPb, timeoutMs: number): WebhookTarget {
  const target: WebhookTarget = {
    type: "webhook",
    url: w.url,
    headers: { ...w.headers },
    timeoutMs,
  };
  if (w.secret !== "") target.secret = w.secret;
  if (w.payload !== "") target.payload = w.payload;
  return target;
}

export function webhookTargetToProto(
  t: WebhookTarget,
  timeout: WebhookTargetPb["timeout"],
): WebhookTargetPb {
  return create(WebhookTargetSchema, {
    url: t.url,
    headers: { ...t.headers },
    timeout,
    payload: t.payload ?? "",
    hasSecret: t.secret !== undefined,
  });
}

/** Notifications → domain targets; an unset message is no targets. */
export function notificationsFromProto(
  n: NotificationsPb | undefined,
  field = "notifications",
): NotificationTarget[] {
  return (n?.targets ?? []).map((t, i): NotificationTarget => {
    const at = `${field}.targets[${i}]`;
    const events = t.events.map((e) => {
      const event = EVENT_FROM_PROTO.get(e);
      if (event === undefined) {
        throw invalidArgument(`${at}.events`, `unknown or unspecified event ${e}`);
      }
      return event;
    });
    switch (t.kind.case) {
      case "webhook": {
        const w = t.kind.value;
        return {
          kind: "webhook",
          events,
          url: w.url,
          headers: { ...w.headers },
          ...(w.secret !== "" ? { secret: w.secret } : {}),
        };
      }
      case "email": {
        const e = t.kind.value;
        return {
          kind: "email",
          events,
          to: [...e.to],
          subjectPrefix: e.subjectPrefix === "" ? DEFAULT_SUBJECT_PREFIX : e.subjectPrefix,
        };
      }
      default:
        throw invalidArgument(at, "required: exactly one of webhook, email");
    }
  });
}

/** Domain targets → Notifications, secrets masked (`has_secret`). */
export function notificationsToProto(
  targets: readonly NotificationTarget[] | undefined,
): NotificationsPb | undefined {
  if (targets === undefined || targets.length === 0) return undefined;
  return create(NotificationsSchema, {
    targets: targets.map((t) => ({
      events: t.events.map((e) => EVENT_TO_PROTO[e]),
      kind:
        t.kind === "webhook"
          ? {
              case: "webhook" as const,
              value: { url: t.url, headers: { ...t.headers }, hasSecret: t.secret !== undefined },
            }
          : {
              case: "email" as const,
              value: { to: [...t.to], subjectPrefix: t.subjectPrefix },
            },
    })),
  });
}
