/**
 * Sends a job's notifications for one run outcome to every target that
 * subscribed to the event, each with bounded retries. Never throws: a target
 * that keeps failing is logged and counted (`chronoring_notifications_total{outcome="failed"}`).
 */

import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import type { Clock } from "../core/clock.js";
import type { Execution } from "../core/execution.js";
import type { Job } from "../core/job.js";
import type { NotificationTarget, NotifyEvent } from "../core/notification.js";
import { defaultSafeDispatcher } from "../worker/handlers/safe-dispatcher.js";
import { type EmailSender, notificationBody, postWebhook } from "./channels.js";
import type { NotifyMetrics } from "./metrics.js";
import { type RetryPolicy, withBackoff } from "./retry.js";

export interface Notifier {
  /** Resolves when every target was served or given up on; never rejects. */
  notify(event: NotifyEvent, job: Job, execution: Execution): Promise<void>;
}

export interface NotifierDeps {
  logger: Logger;
  metrics: NotifyMetrics;
  retry: RetryPolicy;
  /** Absent: email targets are skipped (and refused at create time). */
  email?: EmailSender;
  /** Timers of the retries' delays. Default the system clock. */
  clock?: Clock;
  /** Unix seconds for signatures. */
  nowS?: () => number;
  /** Webhooks connect through it (safe-dispatcher.ts); default: one that admits no internal address. */
  dispatcher?: Dispatcher;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const nowS = deps.nowS ?? (() => Math.floor(Date.now() / 1000));
  const dispatcher = deps.dispatcher ?? defaultSafeDispatcher();

  async function deliver(
    target: NotificationTarget,
    event: NotifyEvent,
    job: Job,
    execution: Execution,
  ): Promise<void> {
    const logger = deps.logger.child({
      jobId: job.id,
      executionId: execution.id,
      event,
      channel: target.kind,
    });
    try {
      if (target.kind === "webhook") {
        const body = notificationBody(event, job, execution);
        await withBackoff(
          deps.retry,
          // Signed per try: a retry hours later still passes a receiver's tolerance.
          () => postWebhook(target, event, body, execution.id, nowS(), dispatcher),
          {
            onRetry: (err, attempt) =>
              logger.debug({ err: String(err), attempt }, "notification retry"),
            clock: deps.clock,
          },
        );
      } else {
        const email = deps.email;
        if (!email) throw new Error("no SMTP relay configured (CHRONORING_SMTP_URL)");
        await withBackoff(deps.retry, () => email(target, event, job, execution), {
          clock: deps.clock,
        });
      }
      deps.metrics.sent.inc({ channel: target.kind, outcome: "delivered" });
    } catch (err) {
      deps.metrics.sent.inc({ channel: target.kind, outcome: "failed" });
      logger.warn({ err: String(err) }, "notification gave up");
    }
  }

  return {
    async notify(event, job, execution) {
      const targets = (job.notifications ?? []).filter((t) => t.events.includes(event));
      await Promise.all(targets.map((t) => deliver(t, event, job, execution)));
    },
  };
}
