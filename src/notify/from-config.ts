/** Builds the worker's notification path from the config (one call in app.ts). */

import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Dispatcher } from "undici";
import type { Config } from "../config/config.js";
import type { Clock } from "../core/clock.js";
import type { JobStore } from "../core/ports/job-store.js";
import { createEmailSender } from "./channels.js";
import { createNotifyMetrics } from "./metrics.js";
import { createNotifier } from "./notifier.js";
import { createOutcomeNotifications, type OutcomeNotifications } from "./outcome.js";

export function createNotifications(
  config: Config,
  deps: {
    jobs: JobStore;
    logger: Logger;
    registry: Registry;
    /** The worker's safe dispatcher, shared with its http and webhook handlers. */
    dispatcher?: Dispatcher;
    /** Timers of the retries. Default the system clock. */
    clock?: Clock;
  },
): OutcomeNotifications & { close(): void } {
  const email =
    config.notify.smtpUrl === ""
      ? undefined
      : createEmailSender({ url: config.notify.smtpUrl, from: config.notify.smtpFrom });
  const logger = deps.logger.child({ component: "notify" });
  const notifier = createNotifier({
    logger,
    metrics: createNotifyMetrics(deps.registry),
    retry: { attempts: config.notify.attempts, baseDelayMs: config.notify.backoffMs },
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(email ? { email } : {}),
  });
  const outcome = createOutcomeNotifications({ jobs: deps.jobs, notifier, logger });
  return { ...outcome, close: () => email?.close() };
}
